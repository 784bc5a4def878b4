import { z } from 'zod';
import type { ConfigOf, SettingsOf } from '../spec.js';

/** providers.yaml keys of `type: twilio` (channel sms or whatsapp). */
export const twilioSettings = {
  account_sid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'expected an account SID: AC followed by 32 hex digits'),
  /** Either the auth token, or an API key SID + secret. */
  auth_token: z.string().min(1).optional(),
  api_key_sid: z.string().regex(/^SK[0-9a-fA-F]{32}$/, 'expected an API key SID: SK followed by 32 hex digits').optional(),
  api_key_secret: z.string().min(1).optional(),
  messaging_service_sid: z.string().regex(/^MG[0-9a-fA-F]{32}$/, 'expected a messaging service SID: MG followed by 32 hex digits').optional(),
  /** Status callback URL; `?d=<delivery ref>` is appended so callbacks match the ledger. */
  status_callback: z.url().optional(),
  /** Replaces https://*.twilio.com, to point the client at a local fake server. */
  base_url: z.url().optional(),
  timeout_ms: z.int().positive().default(30_000),
};

export const TWILIO_SECRETS = ['auth_token', 'api_key_secret'];

export type TwilioSettings = SettingsOf<typeof twilioSettings>;
export type TwilioConfig = ConfigOf<typeof twilioSettings>;
