/**
 * WhatsApp templates: `templates/whatsapp/<name>.yaml` describes one template approved by Meta
 * (name, language, category, body with {{1}}..{{n}}, one Liquid parameter per placeholder,
 * optional header and buttons, Twilio's content_sid). Each recipient gets both wire forms:
 * Meta Cloud API `template.components` and Twilio `ContentSid` + `ContentVariables`.
 */
import type { CompiledTemplate, RenderedWhatsApp, TemplateVars } from './contract.js';
import { RenderError } from './contract.js';
import type { CompileContext } from './compile-context.js';
import type { Diagnostics } from './diagnostics.js';
import { checkVariables, parseLiquid, renderLiquid, type ParsedLiquid } from './liquid.js';
import { buildScope } from './variables.js';
import { originAt, parseYamlSource, type YamlSource } from './yaml-source.js';
import type { MetaTemplatePayload } from '../providers/contract.js';

import { CATEGORIES, languageProblem, type WhatsAppCategory } from './whatsapp-vocabulary.js';

export { CATEGORIES, type WhatsAppCategory };
const TOP_KEYS = ['name', 'language', 'category', 'body', 'parameters', 'header', 'buttons', 'twilio'];
const MEDIA = ['image', 'video', 'document'] as const;
/** Meta's limits on an approved template's parts. */
const BODY_MAX = 1024;
const HEADER_TEXT_MAX = 60;
const BUTTONS_MAX = 10;

/** The placeholder numbers of an approved text, in order of appearance ({{1}} → 1). */
export function placeholders(text: string): number[] {
  return [...text.matchAll(/\{\{\s*(\d+)\s*\}\}/g)].map((m) => Number(m[1]));
}

/** Fills {{1}}..{{n}} with values (for the human preview). */
export function fillPlaceholders(text: string, values: string[]): string {
  return text.replace(/\{\{\s*(\d+)\s*\}\}/g, (m, n: string) => values[Number(n) - 1] ?? m);
}

/** Why Meta would reject this parameter value, or undefined when it is fine. */
export function parameterProblem(value: string): string | undefined {
  if (value.trim() === '') return 'is empty';
  if (/[\n\r]/.test(value)) return 'contains a newline';
  if (value.includes('\t')) return 'contains a tab';
  if (/ {5,}/.test(value)) return 'contains more than four consecutive spaces';
  return undefined;
}

type Slot = { kind: 'body'; index: number } | { kind: 'header' } | { kind: 'button'; index: number; subType: 'url' | 'quick_reply'; tracked?: boolean };

interface ParamSpec {
  slot: Slot;
  parsed: ParsedLiquid;
  /** How it reads in an error: "parameter {{2}}", "header parameter", "button 1 (url) parameter". */
  label: string;
  /** The Twilio Content variable number it is sent as. */
  twilioVar: string;
}

export interface WhatsAppSpec {
  name: string;
  language: string;
  category: WhatsAppCategory;
  body: string;
  header?: { type: 'text'; text: string } | { type: (typeof MEDIA)[number]; link: string; filename?: string };
  /**
   * `url` is the approved button URL (only checked when the button is tracked); `track` marks a
   * tracked button: its value (a Liquid destination) becomes a short link on the tracking
   * domain, and `urlAt` is where `url` (or the button) sits in the file, for errors.
   */
  buttons: Array<{ type: 'url' | 'quick_reply'; text?: string; url?: string; track?: true; urlAt?: { line: number; col: number } }>;
  contentSid?: string;
}

export interface CompiledWhatsApp extends CompiledTemplate {
  channel: 'whatsapp';
  spec: WhatsAppSpec;
  render(vars: TemplateVars): RenderedWhatsApp;
}

class Checker {
  constructor(
    readonly file: string,
    readonly source: YamlSource,
    readonly diags: Diagnostics,
  ) {}
  error(path: Array<string | number>, message: string): void {
    const p = this.source.pos(path);
    this.diags.error(this.file, message, p.line, p.col);
  }
  warn(path: Array<string | number>, message: string): void {
    const p = this.source.pos(path);
    this.diags.warn(this.file, message, p.line, p.col);
  }
  string(obj: Record<string, unknown>, key: string, path: Array<string | number>, required: boolean): string | undefined {
    const v = obj[key];
    if (v === undefined || v === null) {
      if (required) this.error(path.slice(0, -1), `missing "${path.join('.')}"`);
      return undefined;
    }
    if (typeof v !== 'string' || v.trim() === '') {
      this.error(path, `"${path.join('.')}" must be a non-empty string`);
      return undefined;
    }
    return v;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export function compileWhatsApp(ctx: CompileContext, diags: Diagnostics): CompiledWhatsApp | undefined {
  const { file } = ctx.template;
  const errorsBefore = diags.errors.length;
  const source = parseYamlSource(ctx.text, file, diags);
  if (!source) return undefined;
  const doc = source.data;
  const c = new Checker(file, source, diags);
  if (!isObject(doc)) {
    diags.error(file, 'a WhatsApp template is a YAML mapping with name, language, category, body, parameters', 1, 1);
    return undefined;
  }
  for (const key of Object.keys(doc)) if (!TOP_KEYS.includes(key)) c.warn([key], `unknown key "${key}" (known: ${TOP_KEYS.join(', ')})`);

  const name = c.string(doc, 'name', ['name'], true);
  if (name !== undefined && !/^[a-z0-9_]{1,512}$/.test(name)) c.error(['name'], `name "${name}" must be the approved template's name: lower-case letters, digits and _`);
  const language = c.string(doc, 'language', ['language'], true);
  const badLanguage = language === undefined ? undefined : languageProblem(language);
  if (badLanguage) c.error(['language'], badLanguage);
  const category = c.string(doc, 'category', ['category'], true);
  if (category !== undefined && !(CATEGORIES as readonly string[]).includes(category)) c.error(['category'], `category must be one of ${CATEGORIES.join(', ')}`);
  const body = c.string(doc, 'body', ['body'], true);

  const engine = ctx.engines.text;
  const liquidAt = (path: Array<string | number>, text: string): ParsedLiquid | undefined => {
    const parsed = parseLiquid(engine, text, originAt(source, path, file, ctx.text), diags);
    if (parsed) checkVariables(parsed, 'whatsapp', diags);
    return parsed;
  };

  // body placeholders must be exactly 1..n, and one parameter each
  const params: ParamSpec[] = [];
  let bodyCount = 0;
  if (body !== undefined) {
    if (body.length > BODY_MAX) c.error(['body'], `body is ${body.length} characters; Meta allows ${BODY_MAX}`);
    const nums = placeholders(body);
    const distinct = [...new Set(nums)].sort((a, b) => a - b);
    bodyCount = distinct.length;
    if (distinct.some((n, i) => n !== i + 1)) c.error(['body'], `placeholders must be {{1}}..{{n}} without gaps; found ${distinct.map((n) => `{{${n}}}`).join(', ')}`);
    if (nums.length !== distinct.length) c.error(['body'], 'each placeholder may appear only once in the body');
  }
  const rawParams = doc.parameters ?? [];
  if (!Array.isArray(rawParams)) c.error(['parameters'], '"parameters" must be a list of Liquid expressions, one per placeholder');
  else {
    if (body !== undefined && rawParams.length !== bodyCount) {
      c.error(rawParams.length ? ['parameters'] : ['body'], `the body has ${bodyCount} placeholder(s) but ${rawParams.length} parameter(s) are given`);
    }
    rawParams.forEach((p, i) => {
      if (typeof p !== 'string' && typeof p !== 'number') return c.error(['parameters', i], `parameter ${i + 1} must be a string (a Liquid expression)`);
      const parsed = liquidAt(['parameters', i], String(p));
      if (parsed) params.push({ slot: { kind: 'body', index: i }, parsed, label: `parameter {{${i + 1}}}`, twilioVar: String(i + 1) });
    });
  }

  // header: text (optionally one {{1}} filled by `parameter`) or a media link
  let header: WhatsAppSpec['header'];
  if (doc.header !== undefined) {
    const h = doc.header;
    if (!isObject(h)) c.error(['header'], 'header must be a mapping: { type: text, text: … } or { type: image, link: … }');
    else if (h.type === 'text') {
      const text = c.string(h, 'text', ['header', 'text'], true);
      if (text !== undefined) {
        header = { type: 'text', text };
        if (text.length > HEADER_TEXT_MAX) c.error(['header', 'text'], `header text is ${text.length} characters; Meta allows ${HEADER_TEXT_MAX}`);
        const nums = placeholders(text);
        const param = c.string(h, 'parameter', ['header', 'parameter'], false);
        if (nums.length > 1 || (nums.length === 1 && nums[0] !== 1)) c.error(['header', 'text'], 'a text header may hold one placeholder, {{1}}');
        else if (nums.length === 1 && param === undefined) c.error(['header'], 'the header text has {{1}}: give its value as header.parameter');
        else if (nums.length === 0 && param !== undefined) c.error(['header', 'parameter'], 'header.parameter is given but the header text has no {{1}}');
        else if (param !== undefined) {
          const parsed = liquidAt(['header', 'parameter'], param);
          if (parsed) params.push({ slot: { kind: 'header' }, parsed, label: 'header parameter', twilioVar: '' });
        }
      }
    } else if ((MEDIA as readonly unknown[]).includes(h.type)) {
      const link = c.string(h, 'link', ['header', 'link'], true);
      if (link !== undefined && !/^https:\/\/\S+$/.test(link)) c.error(['header', 'link'], 'header.link must be an https:// URL');
      const filename = c.string(h, 'filename', ['header', 'filename'], false);
      if (link !== undefined) header = { type: h.type as (typeof MEDIA)[number], link, ...(filename ? { filename } : {}) };
    } else c.error(['header', 'type'], `header.type must be text, ${MEDIA.join(', ')}`);
  }

  // buttons: url (optional suffix parameter) and quick_reply (optional payload)
  const buttons: WhatsAppSpec['buttons'] = [];
  if (doc.buttons !== undefined) {
    if (!Array.isArray(doc.buttons)) c.error(['buttons'], 'buttons must be a list');
    else {
      if (doc.buttons.length > BUTTONS_MAX) c.error(['buttons'], `at most ${BUTTONS_MAX} buttons`);
      doc.buttons.forEach((b, i) => {
        if (!isObject(b) || (b.type !== 'url' && b.type !== 'quick_reply')) return c.error(['buttons', i], 'a button is { type: url, parameter: … }, { type: url, url: …/{{1}}, track: … } or { type: quick_reply, payload: … }');
        const type = b.type;
        const text = c.string(b, 'text', ['buttons', i, 'text'], false);
        // a tracked URL button: `track` is the destination, sent as the suffix of the approved `url`
        const tracked = type === 'url' && b.track !== undefined;
        const url = type === 'url' ? c.string(b, 'url', ['buttons', i, 'url'], tracked) : undefined;
        const at = source.pos(url !== undefined ? ['buttons', i, 'url'] : ['buttons', i]);
        buttons.push({ type, ...(text ? { text } : {}), ...(url ? { url } : {}), ...(tracked ? { track: true as const, urlAt: { line: at.line, col: at.col } } : {}) });
        const key = tracked ? 'track' : type === 'url' ? 'parameter' : 'payload';
        const known = type === 'url' ? ['type', 'text', 'url', 'parameter', 'track'] : ['type', 'text', 'payload'];
        for (const other of Object.keys(b)) if (!known.includes(other)) c.warn(['buttons', i, other], `unknown button key "${other}"`);
        if (tracked && b.parameter !== undefined) c.error(['buttons', i, 'parameter'], `button ${i + 1}: give "track" (the destination, tracked) or "parameter" (the URL suffix, not tracked), not both`);
        if (tracked && url !== undefined && !/^https?:\/\/[^\s{}]+\{\{\s*1\s*\}\}$/.test(url)) {
          c.error(['buttons', i, 'url'], `buttons[${i}].url must be the approved button URL ending in the suffix placeholder, like https://t.shop.example/s/{{1}}`);
        }
        const value = c.string(b, key, ['buttons', i, key], false);
        if (value !== undefined) {
          const parsed = liquidAt(['buttons', i, key], value);
          if (parsed) params.push({ slot: { kind: 'button', index: i, subType: type, ...(tracked ? { tracked } : {}) }, parsed, label: `button ${i + 1} (${type}) ${key}`, twilioVar: '' });
        }
      });
    }
  }

  let contentSid: string | undefined;
  if (doc.twilio !== undefined) {
    if (!isObject(doc.twilio)) c.error(['twilio'], 'twilio must be a mapping: { content_sid: HX… }');
    else {
      contentSid = c.string(doc.twilio, 'content_sid', ['twilio', 'content_sid'], false);
      if (contentSid !== undefined && !/^HX[0-9a-fA-F]{32}$/.test(contentSid)) c.error(['twilio', 'content_sid'], 'twilio.content_sid must be HX followed by 32 hex digits');
      for (const k of Object.keys(doc.twilio)) if (k !== 'content_sid') c.warn(['twilio', k], `unknown key "twilio.${k}"`);
    }
  }

  // Twilio numbers Content variables across the whole template: the body keeps 1..n, then
  // the header parameter and the button parameters follow in order (n+1, n+2, ...)
  let next = bodyCount + 1;
  for (const p of params) if (p.slot.kind !== 'body') p.twilioVar = String(next++);

  if (diags.errors.length > errorsBefore || !name || !language || !category || body === undefined) return undefined;
  const spec: WhatsAppSpec = { name, language, category: category as WhatsAppCategory, body, ...(header ? { header } : {}), buttons, ...(contentSid ? { contentSid } : {}) };
  const sources = params.map((p) => p.parsed);
  const campaign = ctx.campaign;

  return {
    name: ctx.template.name,
    channel: 'whatsapp',
    file,
    spec,
    render(vars: TemplateVars): RenderedWhatsApp {
      const scope = buildScope(vars, { campaign });
      const values = params.map((p) => {
        const value = renderLiquid(engine, p.parsed, scope, sources);
        const problem = parameterProblem(value);
        if (problem) {
          const o = p.parsed.origin;
          throw new RenderError(`${o.file}:${o.line}:${o.col}: ${p.label} ${problem} for this recipient (Meta rejects it)`, 'bad_parameter');
        }
        return value;
      });
      return buildWhatsApp(spec, params, values);
    },
  };
}

/** Both wire forms and the preview from the rendered parameter values. */
function buildWhatsApp(spec: WhatsAppSpec, params: ParamSpec[], values: string[]): RenderedWhatsApp {
  const bodyValues: string[] = [];
  let headerValue: string | undefined;
  const buttonValues = new Map<number, string>();
  const variables: Record<string, string> = {};
  const tracked: NonNullable<RenderedWhatsApp['trackedButtons']> = [];
  params.forEach((p, i) => {
    const v = values[i]!;
    variables[p.twilioVar] = v;
    if (p.slot.kind === 'body') bodyValues.push(v);
    else if (p.slot.kind === 'header') headerValue = v;
    else {
      buttonValues.set(p.slot.index, v);
      const url = spec.buttons[p.slot.index]?.url;
      if (p.slot.tracked && url) {
        // checked here, not only by the tracker, so `template validate` and `campaign check` see it
        if (!/^https?:\/\/[^\s/]/i.test(v)) {
          const o = p.parsed.origin;
          throw new RenderError(`${o.file}:${o.line}:${o.col}: ${p.label} "${v}" is not an http(s) URL for this recipient`, 'bad_parameter');
        }
        tracked.push({ index: p.slot.index, url, destination: v, twilioVar: p.twilioVar });
      }
    }
  });
  const bodyText = fillPlaceholders(spec.body, bodyValues);
  if (bodyText.length > BODY_MAX) throw new RenderError(`the body is ${bodyText.length} characters for this recipient; Meta allows ${BODY_MAX}`, 'bad_parameter');

  const components: Array<Record<string, unknown>> = [];
  let headerText: string | undefined;
  if (spec.header?.type === 'text') {
    headerText = headerValue === undefined ? spec.header.text : fillPlaceholders(spec.header.text, [headerValue]);
    if (headerValue !== undefined) components.push({ type: 'header', parameters: [{ type: 'text', text: headerValue }] });
  } else if (spec.header) {
    const media: Record<string, string> = { link: spec.header.link };
    if (spec.header.type === 'document' && spec.header.filename) media.filename = spec.header.filename;
    components.push({ type: 'header', parameters: [{ type: spec.header.type, [spec.header.type]: media }] });
  }
  if (bodyValues.length > 0) components.push({ type: 'body', parameters: bodyValues.map((text) => ({ type: 'text', text })) });
  spec.buttons.forEach((b, index) => {
    const v = buttonValues.get(index);
    if (v === undefined) return; // a static button is part of the approved template: nothing to send
    const parameter = b.type === 'url' ? { type: 'text', text: v } : { type: 'payload', payload: v };
    components.push({ type: 'button', sub_type: b.type, index: String(index), parameters: [parameter] });
  });
  const meta: MetaTemplatePayload = { name: spec.name, language: { code: spec.language }, components };
  const text = headerText ? `${headerText}\n\n${bodyText}` : bodyText;
  return {
    channel: 'whatsapp',
    text,
    category: spec.category,
    meta,
    twilio: { ...(spec.contentSid ? { contentSid: spec.contentSid } : {}), contentVariables: JSON.stringify(variables) },
    ...(tracked.length > 0 ? { trackedButtons: tracked } : {}),
  };
}

/** The prefix a tracked button's approved URL must have: the SMS short links' (`<base_url>/s/`). */
export const trackedButtonPrefix = (baseUrl: string) => `${baseUrl}/s/`;

/**
 * Why the template's tracked URL buttons cannot be tracked with this tracking base URL
 * (undefined: the campaign does not track clicks), each with where the button's `url` is. A tap
 * lands on the approved URL with the short code as its suffix, so that URL must be exactly the
 * short-link prefix followed by {{1}}: anything else would send a link nobody can follow.
 */
export function trackedButtonProblems(spec: WhatsAppSpec, baseUrl: string | undefined): Array<{ line: number; col: number; message: string }> {
  return spec.buttons.flatMap((b, i) => {
    if (!b.track) return [];
    const at = b.urlAt ?? { line: 1, col: 1 };
    if (baseUrl === undefined) {
      return [{ ...at, message: `buttons[${i}].track: the button is tracked but clicks are not (set tracking.base_url in mkt.yaml, and do not turn tracking.clicks off for this campaign)` }];
    }
    const want = `${trackedButtonPrefix(baseUrl)}{{1}}`;
    if (b.url?.replace(/\{\{\s*1\s*\}\}$/, '{{1}}') === want) return [];
    return [{ ...at, message: `buttons[${i}].url: the approved button URL "${b.url}" is not the tracking domain's short-link prefix: it must be "${want}" (tracking.base_url in mkt.yaml)` }];
  });
}
