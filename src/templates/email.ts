/**
 * Email templates: `templates/email/<name>.mjml` with YAML front matter (subject, preheader,
 * from_name, reply_to). MJML is compiled ONCE with the Liquid still in it; each recipient is
 * then one Liquid render of the HTML (outputs HTML-escaped), the subject and the text part.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { CompiledTemplate, RenderedEmail, TemplateVars } from './contract.js';
import { RenderError } from './contract.js';
import type { CompileContext } from './compile-context.js';
import { Diagnostics } from './diagnostics.js';
import { readFrontMatter, stringField, valueOrigin } from './front-matter.js';
import { checkVariables, createEngine, createEngines, parseLiquid, renderLiquid, type ParsedLiquid } from './liquid.js';
import { firstMissingToken, lineColAt, liquidTokens, sameTokens, tokenOffset } from './liquid-tokens.js';
import { buildScope, demoVars } from './variables.js';
import { combineSources, guardOutput, splitRendered } from './dual-render.js';

export const EMAIL_KEYS = ['subject', 'preheader', 'from_name', 'reply_to'];
/** Gmail clips a message whose HTML is larger than this. */
export const GMAIL_CLIP_BYTES = 102 * 1024;

type Converter = (html: string) => string;

/** html-to-text, set up once: links keep their URL (the unsubscribe link must survive), images are dropped. */
async function textConverter(): Promise<Converter> {
  const { compile } = await import('html-to-text');
  return compile({
    wordwrap: false,
    selectors: [
      { selector: 'img', format: 'skip' },
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true } },
      { selector: 'h1', options: { uppercase: false } },
      { selector: 'h2', options: { uppercase: false } },
      { selector: 'h3', options: { uppercase: false } },
    ],
  });
}

/** MJML's hidden preheader block belongs to the inbox preview, not to the plain-text part. */
function withoutPreview(html: string): string {
  return html.replace(/<div style="display:none;font-size:1px;[^"]*">[\s\S]*?<\/div>/, '');
}

/** Blank lines left by Liquid tags and layout tables collapse to one. */
function tidyText(text: string): string {
  return text
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Drops MJML's indentation (a third of its size); whitespace there never shows in email HTML. */
function compactHtml(html: string): string {
  if (/<(pre|textarea)\b/i.test(html)) return html;
  return html.replace(/\n[ \t]+/g, '\n').replace(/\n{2,}/g, '\n');
}

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * Puts the preheader into the MJML head as <mj-preview>, on the same line as the tag it follows
 * so MJML's error line numbers still match the file.
 */
function injectPreheader(body: string, preheader: string | undefined): string {
  if (!preheader || /<mj-preview[\s>]/.test(body)) return body;
  const preview = `<mj-preview>${escapeXml(preheader)}</mj-preview>`;
  if (/<mj-head(\s[^>]*)?>/.test(body)) return body.replace(/<mj-head(\s[^>]*)?>/, (m) => m + preview);
  return body.replace(/<mjml(\s[^>]*)?>/, (m) => `${m}<mj-head>${preview}</mj-head>`);
}

interface MjmlIssue {
  line?: number;
  message?: string;
}

async function compileMjml(mjml: string, file: string, bodyLine: number, diags: Diagnostics): Promise<string | undefined> {
  const { default: mjml2html } = await import('mjml');
  try {
    // mjml 5 returns a promise; includes stay off so MJML reads no file either
    const result = await mjml2html(mjml, { validationLevel: 'strict', keepComments: false, ignoreIncludes: true });
    for (const e of (result.errors ?? []) as MjmlIssue[]) diags.warn(file, `MJML: ${e.message}`, e.line === undefined ? undefined : e.line + bodyLine - 1);
    return result.html;
  } catch (error) {
    const issues = (error as { errors?: MjmlIssue[] }).errors;
    if (Array.isArray(issues) && issues.length > 0) {
      for (const e of issues) diags.error(file, `MJML: ${e.message}`, e.line === undefined ? undefined : e.line + bodyLine - 1);
    } else {
      diags.error(file, `MJML: ${(error as Error).message.replace(/^ValidationError:\s*/, '').trim()}`, bodyLine);
    }
    return undefined;
  }
}

export interface CompiledEmail extends CompiledTemplate {
  channel: 'email';
  render(vars: TemplateVars): RenderedEmail;
  /** Where the plain-text part comes from: `<name>.txt`, the HTML converted once, or per recipient (slow). */
  textPart: TextPart['mode'];
  /** MJML's output with the Liquid still in it: what each recipient's render personalises. */
  compiledHtml: string;
}

export async function compileEmail(ctx: CompileContext, diags: Diagnostics): Promise<CompiledEmail | undefined> {
  const { file } = ctx.template;
  const fm = readFrontMatter(ctx.text, file, EMAIL_KEYS, diags);
  if (!fm) return undefined;
  const subject = stringField(fm, 'subject', file, diags, true);
  const preheader = stringField(fm, 'preheader', file, diags);
  const fromName = stringField(fm, 'from_name', file, diags);
  const replyTo = stringField(fm, 'reply_to', file, diags);
  if (replyTo !== undefined && !/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(replyTo)) {
    const p = fm.source?.pos(['reply_to']);
    diags.error(file, `reply_to "${replyTo}" is not an email address`, p?.line, p?.col);
  }
  if (fromName !== undefined && /[\r\n]/.test(fromName)) diags.error(file, 'from_name must be one line', fm.source?.pos(['from_name']).line);

  const { html: htmlEngine, text: textEngine } = ctx.engines;
  const subjectParsed = subject === undefined ? undefined : parseLiquid(textEngine, subject, valueOrigin(fm, 'subject', file, ctx.text), diags);
  const preheaderParsed = preheader === undefined ? undefined : parseLiquid(textEngine, preheader, valueOrigin(fm, 'preheader', file, ctx.text), diags);
  const bodyParsed = parseLiquid(htmlEngine, fm.body, { file, line: fm.bodyLine, col: 1 }, diags);
  for (const p of [subjectParsed, preheaderParsed, bodyParsed]) if (p) checkVariables(p, 'email', diags);

  const include = /<mj-include\b/.exec(fm.body);
  if (include) {
    const p = lineColAt(fm.body, include.index);
    diags.error(file, 'mj-include is not supported (a template reads no files): use {% include \'name\' %} with templates/partials/', p.line + fm.bodyLine - 1, p.col);
  }
  const rawHtml = await compileMjml(injectPreheader(fm.body, preheader), file, fm.bodyLine, diags);
  if (rawHtml === undefined || !bodyParsed || !subjectParsed) return undefined;
  const html = compactHtml(rawHtml);

  // MJML silently drops text between components: a {% if %} there would vanish from the HTML
  const lost = firstMissingToken(liquidTokens(fm.body), liquidTokens(html));
  if (lost) {
    const p = lineColAt(fm.body, tokenOffset(fm.body, lost.index));
    diags.error(file, `MJML dropped the Liquid ${lost.token}: Liquid between MJML components must be inside <mj-raw>…</mj-raw>`, p.line + fm.bodyLine - 1, p.col);
    return undefined;
  }
  const htmlParsed = parseLiquid(htmlEngine, html, { file, line: 1, col: 1, generated: true }, diags);
  if (!htmlParsed) return undefined;

  const text = await compileTextPart(ctx, html, diags);
  if (!text) return undefined;

  const sources = [subjectParsed, preheaderParsed, bodyParsed, text.parsed].filter((p): p is ParsedLiquid => p !== undefined);
  const hasUnsubscribe = bodyParsed.globals.some((g) => g.root === 'unsubscribe_url');
  const campaign = ctx.campaign;
  // most preheaders are plain text: no need to render them per recipient
  const staticPreheader = preheader !== undefined && !/\{\{|\{%/.test(preheader) ? preheader.trim() : undefined;

  return {
    name: ctx.template.name,
    channel: 'email',
    file,
    hasUnsubscribe,
    textPart: text.mode,
    compiledHtml: html,
    render(vars: TemplateVars): RenderedEmail {
      const scope = buildScope(vars, { campaign });
      const renderedSubject = renderLiquid(textEngine, subjectParsed, scope, sources)
        .replace(/\s*[\r\n]+\s*/g, ' ') // a header is one line, whatever the data holds
        .trim();
      if (renderedSubject === '') throw new RenderError(`${file}: the subject rendered empty`, 'empty_subject');
      const both = text.dual?.(scope);
      const renderedHtml = both ? both.html : renderLiquid(htmlEngine, htmlParsed, scope, sources);
      const renderedText = both ? both.text : text.render(scope, renderedHtml, sources);
      const out: RenderedEmail = { channel: 'email', subject: renderedSubject, html: renderedHtml, text: renderedText, bytes: Buffer.byteLength(renderedHtml) };
      if (preheaderParsed) out.preheader = staticPreheader ?? renderLiquid(textEngine, preheaderParsed, scope, sources).trim();
      if (fromName !== undefined) out.fromName = fromName;
      if (replyTo !== undefined) out.replyTo = replyTo;
      return out;
    },
  };
}

interface TextPart {
  parsed?: ParsedLiquid;
  /** How the text part was made, for `validate` to mention. */
  mode: 'file' | 'converted-once' | 'converted-per-recipient';
  /** HTML and text from one interleaved Liquid pass (dual-render.ts); undefined → render them apart. */
  dual?: (scope: object) => { html: string; text: string } | undefined;
  render(scope: object, renderedHtml: string, sources: ParsedLiquid[]): string;
}

/**
 * The plain-text part. `<name>.txt` beside the MJML wins. Otherwise the compiled HTML is turned
 * into text ONCE with its Liquid inside (html-to-text costs ~1 ms, far too much per recipient);
 * that is only trusted when every Liquid token survived in the same order, else the rendered
 * HTML is converted per recipient.
 */
async function compileTextPart(ctx: CompileContext, html: string, diags: Diagnostics): Promise<TextPart | undefined> {
  const beside = ctx.template.abs.replace(/\.mjml$/, '.txt');
  if (existsSync(beside)) {
    const file = ctx.template.file.replace(/\.mjml$/, '.txt');
    const parsed = parseLiquid(ctx.engines.text, readFileSync(beside, 'utf8'), { file, line: 1, col: 1 }, diags);
    if (!parsed) return undefined;
    checkVariables(parsed, 'email', diags);
    const engine = ctx.engines.text;
    return { parsed, mode: 'file', render: (scope, _html, sources) => tidyText(renderLiquid(engine, parsed, scope, sources)) };
  }
  const convert = await textConverter();
  const visible = withoutPreview(html);
  const textTemplate = convert(visible);
  if (sameTokens(liquidTokens(visible), liquidTokens(textTemplate))) {
    // partials are HTML too: the text engine includes their text conversion
    const textPartials: Record<string, string> = Object.create(null) as Record<string, string>;
    for (const [k, v] of Object.entries(ctx.partials)) textPartials[k] = convert(v);
    const engine = (await createEngines(textPartials)).text;
    const scratch = new Diagnostics();
    const parsed = parseLiquid(engine, textTemplate, { file: ctx.template.file, line: 1, col: 1, generated: true }, scratch);
    if (parsed) {
      const render = (scope: object, _html: string, sources: ParsedLiquid[]) => tidyText(renderLiquid(engine, parsed, scope, sources));
      return { mode: 'converted-once', render, dual: await dualRenderer(ctx, html, textTemplate, textPartials, render) };
    }
  }
  return { mode: 'converted-per-recipient', render: (_scope, renderedHtml) => tidyText(convert(withoutPreview(renderedHtml))) };
}

/**
 * The one-pass renderer for HTML + text, if this template allows it. It is checked against the
 * two-pass result for the demo customer before it is trusted; a recipient for whom any output
 * would write a marker character is rendered in two passes (dual-render.ts, guardOutput).
 */
async function dualRenderer(
  ctx: CompileContext,
  html: string,
  textTemplate: string,
  textPartials: Record<string, string>,
  renderText: (scope: object, html: string, sources: ParsedLiquid[]) => string,
): Promise<TextPart['dual']> {
  const source = combineSources(html, textTemplate);
  if (source === undefined) return undefined;
  const partials: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [k, v] of Object.entries(ctx.partials)) {
    const combined = combineSources(v, textPartials[k]!);
    if (combined === undefined) return undefined; // an include could reach a partial we cannot interleave
    partials[k] = combined;
  }
  const engine = await createEngine(partials, 'text', guardOutput);
  const parsed = parseLiquid(engine, source, { file: ctx.template.file, line: 1, col: 1, generated: true }, new Diagnostics());
  if (!parsed) return undefined;
  const dual = (scope: object) => {
    let rendered: string;
    try {
      rendered = engine.renderSync(parsed.templates, scope) as string;
    } catch {
      // the output guard tripped, or the render fails: the two-pass path renders it (and names the error)
      return undefined;
    }
    const both = splitRendered(rendered);
    return both && { html: both.html, text: tidyText(both.text) };
  };
  try {
    const scope = buildScope(demoVars(), {});
    const htmlEngine = ctx.engines.html;
    const htmlParsed = parseLiquid(htmlEngine, html, { file: ctx.template.file, line: 1, col: 1, generated: true }, new Diagnostics());
    const one = dual(scope);
    if (!htmlParsed || !one) return undefined;
    const twoHtml = renderLiquid(htmlEngine, htmlParsed, scope);
    if (one.html !== twoHtml || one.text !== renderText(scope, twoHtml, [])) return undefined;
  } catch {
    return undefined; // the demo customer cannot render it: keep the plain two-pass path
  }
  return dual;
}
