import { defineProviderType, topLevel } from '../spec.js';
import { sesSettings, SES_SECRETS } from './config.js';

export const sesType = defineProviderType({
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
  create: async (config, ctx) => (await import('./create.js')).createSesProvider(config, ctx),
});
