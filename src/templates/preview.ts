/**
 * One render outside a campaign (`template render`, `provider test --template`): the variables
 * the send loop would provide are filled with preview values, and a render failure is bad input.
 */
import { InputError } from '../errors.js';
import { RenderError, type CompiledTemplate, type Rendered, type TemplateVars } from './contract.js';
import { GMAIL_CLIP_BYTES } from './email.js';
import { trackRendered } from './track-message.js';
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

/** A short code as long as a typical real one (campaign 12, recipient 1,000,000, 8 characters of tag). */
const SAMPLE_CODE = (link: number) => `c.lfls.${link.toString(36)}.AbCdEfGh`;

/**
 * An SMS as a tracked campaign would send it (links as `<baseUrl>/s/<code>`), and how many
 * segments that saves (negative: costs); undefined when the message has no link to track.
 */
export function trackedSmsPreview(r: Rendered, baseUrl: string): { text: string; segments: number; saved: number } | undefined {
  if (r.channel !== 'sms') return undefined;
  let n = 0;
  const tracked = trackRendered(r, { click: (url) => (url.startsWith(`${baseUrl}/`) ? undefined : `${baseUrl}/s/${SAMPLE_CODE(++n)}`) });
  if (tracked.channel !== 'sms' || n === 0) return undefined;
  return { text: tracked.text, segments: tracked.segments, saved: r.segments - tracked.segments };
}
