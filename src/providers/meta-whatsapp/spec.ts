import { defineProviderType, topLevel } from '../spec.js';
import { metaSettings, META_SECRETS } from './config.js';

export const metaType = defineProviderType({
  type: 'meta-whatsapp',
  channels: ['whatsapp'],
  summary: 'Meta WhatsApp Cloud API (senders are phone-number ids)',
  settings: metaSettings,
  secretPaths: topLevel(...META_SECRETS),
  refine(entry, issue) {
    const senders = Array.isArray(entry.senders) ? entry.senders : [];
    senders.forEach((s, i) => {
      const id = typeof s === 'object' && s !== null ? Object.values(s)[0] : s;
      if (!/^\d+$/.test(String(id))) issue(['senders', i], 'a meta-whatsapp sender is a phone-number id (digits), not a phone number');
    });
  },
  create: async (config, ctx) => (await import('./create.js')).createMetaProvider(config, ctx),
});
