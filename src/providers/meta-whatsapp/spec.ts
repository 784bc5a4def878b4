import { unsafeSenderText } from '../sender-identity.js';
import { defineProviderType, topLevel } from '../spec.js';
import { metaSettings, META_SECRETS } from './config.js';

export const metaType = defineProviderType({
  type: 'meta-whatsapp',
  channels: ['whatsapp'],
  summary: 'Meta WhatsApp Cloud API (senders are phone-number ids)',
  settings: metaSettings,
  secretPaths: topLevel(...META_SECRETS),
  checkSender: (id) => unsafeSenderText(id) ?? (/^\d{1,32}$/.test(id) ? undefined : 'a meta-whatsapp sender is a phone-number id (digits), not a phone number'),
  create: async (config, ctx) => (await import('./create.js')).createMetaProvider(config, ctx),
});
