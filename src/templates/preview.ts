/**
 * One render outside a campaign (`template render`, `provider test --template`): the variables
 * the send loop would provide are filled with preview values, and a render failure is bad input.
 */
import { InputError } from '../errors.js';
import { RenderError, type CompiledTemplate, type Rendered, type TemplateVars } from './contract.js';
import { GMAIL_CLIP_BYTES } from './email.js';
import { PREVIEW_EXTRAS } from './variables.js';

/** The preview campaign, unsubscribe URL and `now`, under the given customer or data (which win). */
export function previewVars(source: TemplateVars, now: string): TemplateVars {
  return { campaign: { ...PREVIEW_EXTRAS.campaign }, unsubscribe_url: PREVIEW_EXTRAS.unsubscribe_url, now, ...source };
}

/** Renders once; a RenderError (its message starts with file:line:col) becomes bad input (65). */
export function renderOnce(template: CompiledTemplate, vars: TemplateVars): Rendered {
  try {
    return template.render(vars);
  } catch (error) {
    if (error instanceof RenderError) throw new InputError(error.code, error.message);
    throw error;
  }
}

/** The warning for an email whose HTML Gmail would clip, or undefined. */
export function clipWarning(r: Rendered): string | undefined {
  return r.channel === 'email' && r.bytes > GMAIL_CLIP_BYTES ? `the HTML is ${Math.round(r.bytes / 1024)} KB; Gmail clips messages over ${GMAIL_CLIP_BYTES / 1024} KB` : undefined;
}
