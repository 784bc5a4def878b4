import { defineProviderType } from '../spec.js';
import { outboxSettings } from './config.js';

export const outboxType = defineProviderType({
  type: 'outbox',
  channels: ['email', 'sms', 'whatsapp'],
  summary: 'writes messages to .mkt/outbox/ instead of sending (no account needed)',
  settings: outboxSettings,
  secretPaths: () => [],
  create: async (config, ctx) => (await import('./adapter.js')).createOutboxProvider(config, ctx),
});
