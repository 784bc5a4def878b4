import { z } from 'zod';
import type { ProviderConfig } from '../types.js';

/** providers.yaml keys of `type: meta-whatsapp` (WhatsApp Cloud API). Senders are phone-number ids. */
export const metaSettings = {
  access_token: z.string().min(1),
  api_version: z.string().regex(/^v\d+\.\d+$/, 'expected a Graph API version such as v23.0').default('v23.0'),
  base_url: z.url().default('https://graph.facebook.com'),
  connection_timeout_ms: z.int().positive().default(3_000),
  timeout_ms: z.int().positive().default(30_000),
};

export const META_SECRETS = ['access_token'];

export interface MetaSettings extends Record<string, unknown> {
  access_token: string;
  api_version: string;
  base_url: string;
  connection_timeout_ms: number;
  timeout_ms: number;
}

export type MetaConfig = ProviderConfig<MetaSettings>;
