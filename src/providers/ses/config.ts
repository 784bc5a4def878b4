import { z } from 'zod';
import type { ConfigOf, SettingsOf } from '../spec.js';

/** providers.yaml keys of `type: ses` (Amazon SES v2). */
export const sesSettings = {
  region: z.string().min(1),
  /** A full URL, for a local emulator such as aws-ses-v2-local or mkt's fake. */
  endpoint: z.url().optional(),
  /** Without these the default AWS credential chain is used (env, profile, instance role). */
  access_key_id: z.string().min(1).optional(),
  secret_access_key: z.string().min(1).optional(),
  session_token: z.string().min(1).optional(),
  configuration_set: z.string().min(1).optional(),
  connection_timeout_ms: z.int().positive().default(3_000),
  request_timeout_ms: z.int().positive().default(30_000),
};

export const SES_SECRETS = ['access_key_id', 'secret_access_key', 'session_token'];

export type SesSettings = SettingsOf<typeof sesSettings>;
export type SesConfig = ConfigOf<typeof sesSettings>;
