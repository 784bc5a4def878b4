import path from 'node:path';
import { defineProviderType } from '../spec.js';
import { moduleSettings, SECRET_OPTION_KEY } from './config.js';

export const moduleType = defineProviderType({
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
    const settings = { ...config.settings, module: path.resolve(ctx.workspace, config.settings.module) };
    return (await import('./load.js')).createModuleProvider({ ...config, settings }, ctx);
  },
});
