/**
 * The built-in provider types. Adding a type = one folder under src/providers/ plus one entry
 * here. Factories import their adapters (and through them the vendor SDKs) lazily.
 */
import path from 'node:path';
import { metaSettings, META_SECRETS } from './meta-whatsapp/config.js';
import { moduleSettings, SECRET_OPTION_KEY } from './module/config.js';
import { outboxSettings } from './outbox/config.js';
import { sesSettings, SES_SECRETS } from './ses/config.js';
import { channelSenderProblem, unsafeSenderText } from './sender-identity.js';
import { topLevel, type ProviderTypeSpec } from './spec.js';
import { twilioSettings, TWILIO_SECRETS } from './twilio/config.js';
import type { MetaConfig } from './meta-whatsapp/config.js';
import type { ModuleConfig } from './module/config.js';
import type { OutboxConfig } from './outbox/config.js';
import type { SesConfig } from './ses/config.js';
import type { TwilioConfig } from './twilio/config.js';

export const PROVIDER_TYPES: Record<string, ProviderTypeSpec> = {
  ses: {
    type: 'ses',
    channels: ['email'],
    summary: 'Amazon SES v2 (email)',
    settings: sesSettings,
    secretPaths: topLevel(...SES_SECRETS),
    refine(entry, issue) {
      if ((entry.access_key_id === undefined) !== (entry.secret_access_key === undefined)) {
        issue([entry.access_key_id === undefined ? 'secret_access_key' : 'access_key_id'], 'access_key_id and secret_access_key go together (or leave both out to use the default AWS credential chain)');
      }
    },
    create: async (config, ctx) => (await import('./ses/create.js')).createSesProvider(config as SesConfig, ctx),
  },
  twilio: {
    type: 'twilio',
    channels: ['sms', 'whatsapp'],
    summary: 'Twilio Messaging (SMS, or WhatsApp with Content templates)',
    settings: twilioSettings,
    secretPaths: topLevel(...TWILIO_SECRETS),
    refine(entry, issue) {
      const token = entry.auth_token !== undefined;
      const key = entry.api_key_sid !== undefined || entry.api_key_secret !== undefined;
      if (token === key) issue([], 'give either auth_token, or api_key_sid with api_key_secret');
      else if (key && (entry.api_key_sid === undefined || entry.api_key_secret === undefined)) issue([entry.api_key_sid === undefined ? 'api_key_secret' : 'api_key_sid'], 'api_key_sid and api_key_secret go together');
    },
    // a messaging service SID sends through the service's own numbers
    checkSender: (id, channel) => (/^MG[0-9a-fA-F]{32}$/.test(id) ? undefined : channelSenderProblem(channel, id)),
    impliedSenders: (entry) => (typeof entry.messaging_service_sid === 'string' ? [entry.messaging_service_sid] : []),
    create: async (config, ctx) => (await import('./twilio/create.js')).createTwilioProvider(config as TwilioConfig, ctx),
  },
  'meta-whatsapp': {
    type: 'meta-whatsapp',
    channels: ['whatsapp'],
    summary: 'Meta WhatsApp Cloud API (senders are phone-number ids)',
    settings: metaSettings,
    secretPaths: topLevel(...META_SECRETS),
    checkSender: (id) => unsafeSenderText(id) ?? (/^\d{1,32}$/.test(id) ? undefined : 'a meta-whatsapp sender is a phone-number id (digits), not a phone number'),
    create: async (config, ctx) => (await import('./meta-whatsapp/create.js')).createMetaProvider(config as MetaConfig, ctx),
  },
  outbox: {
    type: 'outbox',
    channels: ['email', 'sms', 'whatsapp'],
    summary: 'writes messages to .mkt/outbox/ instead of sending (no account needed)',
    settings: outboxSettings,
    secretPaths: () => [],
    create: async (config, ctx) => (await import('./outbox/adapter.js')).createOutboxProvider(config as OutboxConfig, ctx),
  },
  module: {
    type: 'module',
    channels: ['email', 'sms', 'whatsapp'],
    summary: 'a user-written provider: an ES module named by `module:`',
    settings: moduleSettings,
    secretPaths: (entry) => {
      const options = entry.options;
      if (typeof options !== 'object' || options === null || Array.isArray(options)) return [];
      return Object.keys(options).filter((k) => SECRET_OPTION_KEY.test(k)).map((k) => ['options', k]);
    },
    create: async (config, ctx) => {
      const settings = { ...config.settings, module: path.resolve(ctx.workspace, String(config.settings.module)) };
      return (await import('./module/load.js')).createModuleProvider({ ...config, settings } as ModuleConfig, ctx);
    },
  },
};

export const PROVIDER_TYPE_NAMES = Object.keys(PROVIDER_TYPES);
