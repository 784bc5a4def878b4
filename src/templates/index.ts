/**
 * Templates for all channels: load + compile once, render per recipient (see contract.ts).
 * Heavy libraries (liquidjs, mjml, html-to-text) are imported only when a template is compiled.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Channel } from '../channels.js';
import type { CompiledTemplate, Rendered } from './contract.js';
import { RenderError } from './contract.js';
import type { CompileContext } from './compile-context.js';
import { Diagnostics, type Diagnostic } from './diagnostics.js';
import { findTemplates, loadPartials, resolveTemplate, type TemplateFile } from './files.js';
import { createEngines, type Engines } from './liquid.js';
import { splitFrontMatter } from './yaml-source.js';
import { demoVars } from './variables.js';

export { smsInfo } from './sms-encoding.js';
export { RenderError } from './contract.js';
export type { CompiledTemplate, Rendered, RenderedEmail, RenderedSms, RenderedWhatsApp, TemplateVars } from './contract.js';
export { DEMO_CUSTOMER, PREVIEW_EXTRAS, demoVars } from './variables.js';

export interface LoadOptions {
  channel?: Channel;
  campaign?: { name: string; id: number | null };
}

interface Shared {
  partials: Record<string, string>;
  engines: Engines;
}

async function shared(workspace: string): Promise<Shared> {
  const partials = loadPartials(workspace);
  return { partials, engines: await createEngines(partials) };
}

async function compileFile(workspace: string, template: TemplateFile, s: Shared, diags: Diagnostics, campaign?: LoadOptions['campaign']): Promise<CompiledTemplate | undefined> {
  const ctx: CompileContext = { workspace, template, text: readFileSync(template.abs, 'utf8'), engines: s.engines, partials: s.partials, ...(campaign ? { campaign } : {}) };
  switch (template.channel) {
    case 'email':
      return (await import('./email.js')).compileEmail(ctx, diags);
    case 'sms':
      return (await import('./sms.js')).compileSms(ctx, diags);
    case 'whatsapp':
      return (await import('./whatsapp.js')).compileWhatsApp(ctx, diags);
  }
}

/**
 * Parses and compiles a template once (MJML compiled once). `render()` on the result is
 * synchronous and throws RenderError for one recipient's problem. A broken template throws
 * InputError (exit 65) naming file:line:col.
 */
export async function loadTemplate(workspace: string, name: string, opts: LoadOptions = {}): Promise<CompiledTemplate> {
  const template = resolveTemplate(workspace, name, opts.channel);
  const diags = new Diagnostics();
  const compiled = await compileFile(workspace, template, await shared(workspace), diags, opts.campaign);
  diags.throwIfErrors();
  if (!compiled) throw new Error(`template ${template.file} did not compile and reported no error`);
  return compiled;
}

/** Every template with its channel and a one-line summary (email subject, SMS first line, WhatsApp body). */
export async function listTemplates(workspace: string): Promise<Array<{ name: string; channel: Channel; file: string; summary: string }>> {
  return findTemplates(workspace).map((t) => ({ name: t.name, channel: t.channel, file: t.file, summary: summaryOf(t) }));
}

/**
 * One YAML scalar as its text: `"Hi \\"friend\\""` is `Hi "friend"`, `'it''s'` is `it's` (the
 * escapes and quotes are YAML's, not the text's). A value that does not parse alone (a block
 * scalar's `|`) stays as written, its quotes trimmed.
 */
function scalarText(raw: string): string {
  const written = raw.trim();
  try {
    const value: unknown = parseYaml(written);
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  } catch {
    // not a scalar on its own: shown as written
  }
  return written.replace(/^["']|["']$/g, '');
}

function summaryOf(t: TemplateFile): string {
  const text = readFileSync(t.abs, 'utf8');
  const firstLine = (s: string) => s.trim().split('\n')[0]?.trim() ?? '';
  if (t.channel === 'whatsapp') {
    const m = /^body:\s*(.*)$/m.exec(text);
    return m ? scalarText(m[1]!) : '';
  }
  const split = splitFrontMatter(text);
  if ('error' in split) return '';
  if (t.channel === 'email') {
    const m = /^subject:\s*(.*)$/m.exec(split.yaml);
    return m ? scalarText(m[1]!) : '';
  }
  return firstLine(split.body);
}

export interface ValidationResult {
  errors: Diagnostic[];
  warnings: Diagnostic[];
  /** The templates checked, as channel/name. */
  checked: string[];
}

export interface ValidateOptions {
  /**
   * mkt.yaml's tracking.base_url (null: no tracking configured), against which tracked WhatsApp
   * buttons are checked; undefined when mkt.yaml could not be read, and the check is skipped.
   */
  trackingBaseUrl?: string | null;
}

/**
 * Checks templates (all, or the named ones) and reports every problem in one run: syntax and
 * MJML errors, unknown variables, email without unsubscribe_url, and a render against the demo
 * customer (SMS segments, WhatsApp parameters, Gmail's 102 KB clip).
 */
export async function validateTemplates(workspace: string, names?: string[], opts: ValidateOptions = {}): Promise<ValidationResult> {
  const diags = new Diagnostics();
  const templates = names && names.length > 0 ? names.map((n) => resolveTemplate(workspace, n)) : findTemplates(workspace);
  const s = await shared(workspace);
  for (const t of templates) {
    const before = diags.errors.length;
    const compiled = await compileFile(workspace, t, s, diags);
    if (!compiled || diags.errors.length > before) continue;
    await checkCompiled(compiled, diags);
    if (compiled.channel === 'whatsapp' && opts.trackingBaseUrl !== undefined) {
      const { trackedButtonProblems } = await import('./whatsapp.js');
      for (const p of trackedButtonProblems((compiled as import('./whatsapp.js').CompiledWhatsApp).spec, opts.trackingBaseUrl ?? undefined)) diags.error(compiled.file, p.message, p.line, p.col);
    }
  }
  return { errors: diags.errors, warnings: diags.warnings, checked: templates.map((t) => `${t.channel}/${t.name}`) };
}

async function checkCompiled(compiled: CompiledTemplate, diags: Diagnostics): Promise<void> {
  const { file } = compiled;
  if (compiled.channel === 'email') {
    const { GMAIL_CLIP_BYTES } = await import('./email.js');
    if (!compiled.hasUnsubscribe) diags.error(file, 'a marketing email must contain {{ unsubscribe_url }} (e.g. <a href="{{ unsubscribe_url }}">Unsubscribe</a>)');
    const textPart = (compiled as { textPart?: string }).textPart;
    if (textPart === 'converted-per-recipient') {
      diags.warn(file, 'the plain-text part is converted from the HTML for every recipient (slow, ~1 ms each) because some Liquid sits where text conversion drops it (e.g. an image alt); add a .txt beside the template');
    }
    const r = demoRender(compiled, diags);
    if (r?.channel === 'email' && r.bytes > GMAIL_CLIP_BYTES) diags.warn(file, `the rendered HTML is ${Math.round(r.bytes / 1024)} KB; Gmail clips messages over 102 KB`);
    return;
  }
  demoRender(compiled, diags);
}

/** Renders for the demo customer; a missing attribute is a warning (real customers may have it). */
function demoRender(compiled: CompiledTemplate, diags: Diagnostics): Rendered | undefined {
  try {
    return compiled.render(demoVars());
  } catch (error) {
    if (!(error instanceof RenderError)) throw error;
    const m = /^(.*?):(\d+):(\d+): (.*)$/s.exec(error.message);
    const [file, line, col, message] = m ? [m[1]!, Number(m[2]), Number(m[3]), m[4]!] : [compiled.file, undefined, undefined, error.message.replace(/^[^:]+: /, '')];
    if (error.code === 'missing_variable' && /"attributes\./.test(message)) {
      diags.warn(file, `${message}: the demo customer lacks it, and so will every recipient without it`, line, col);
    } else {
      diags.error(file, `rendering for the demo customer: ${message}`, line, col);
    }
    return undefined;
  }
}
