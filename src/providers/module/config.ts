import { z } from 'zod';
import type { ConfigOf, SettingsOf } from '../spec.js';

/** providers.yaml keys of `type: module`: a user-written provider. */
export const moduleSettings = {
  /** Path to an ES module, relative to the workspace. */
  module: z.string().min(1),
  /** Free-form settings handed to the module. Keys that look secret must be `${ENV_VAR}` references. */
  options: z.record(z.string(), z.unknown()).default({}),
};

/** Option keys treated as secrets: they must be written as `${ENV_VAR}` references. */
export const SECRET_OPTION_KEY = /(token|secret|password|passwd|api_?key|private_?key|credentials?)$/i;

/** `module` is resolved against the workspace before `create` runs. */
export type ModuleSettings = SettingsOf<typeof moduleSettings>;
export type ModuleConfig = ConfigOf<typeof moduleSettings>;
