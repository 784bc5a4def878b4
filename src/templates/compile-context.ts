import type { Engines } from './liquid.js';
import type { TemplateFile } from './files.js';

/** What compiling one template needs besides its own file. */
export interface CompileContext {
  workspace: string;
  template: TemplateFile;
  /** The raw file text. */
  text: string;
  engines: Engines;
  /** templates/partials/ as read once (name → text). */
  partials: Record<string, string>;
  /** Used for `campaign` when the render variables do not carry one. */
  campaign?: { name: string; id: number | null };
}
