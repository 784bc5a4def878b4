import { z } from 'zod';
import type { ConfigOf, SettingsOf } from '../spec.js';

/** providers.yaml keys of `type: meta-whatsapp` (WhatsApp Cloud API). Senders are phone-number ids. */
export const metaSettings = {
  access_token: z.string().min(1),
  api_version: z.string().regex(/^v\d+\.\d+$/, 'expected a Graph API version such as v23.0').default('v23.0'),
  base_url: z.url().default('https://graph.facebook.com'),
  connection_timeout_ms: z.int().positive().default(3_000),
  timeout_ms: z.int().positive().default(30_000),
};

export const META_SECRETS = ['access_token'];

export type MetaSettings = SettingsOf<typeof metaSettings>;
export type MetaConfig = ConfigOf<typeof metaSettings>;
