/**
 * SMS templates: `templates/sms/<name>.txt`, Liquid text with optional front matter
 * `max_segments` (default 3) and `opt_out_footer` (appended on its own line to every message).
 */
import type { CompiledTemplate, RenderedSms, TemplateVars } from './contract.js';
import { RenderError } from './contract.js';
import type { CompileContext } from './compile-context.js';
import type { Diagnostics } from './diagnostics.js';
import { readFrontMatter, stringField, valueOrigin } from './front-matter.js';
import { checkVariables, parseLiquid, renderLiquid, type ParsedLiquid } from './liquid.js';
import { describeChar, isGsmChar, smsInfo } from './sms-encoding.js';
import { lineColAt } from './liquid-tokens.js';
import { buildScope } from './variables.js';

export const SMS_KEYS = ['max_segments', 'opt_out_footer'];
export const DEFAULT_MAX_SEGMENTS = 3;
/** Carriers concatenate at most this many parts in practice; more is surely a mistake. */
const SEGMENTS_CEILING = 10;

export interface CompiledSms extends CompiledTemplate {
  channel: 'sms';
  maxSegments: number;
  render(vars: TemplateVars): RenderedSms;
}

/** The text as sent: body trimmed, then the footer on its own line. */
export function composeSms(body: string, footer: string | undefined): string {
  const text = body.trim();
  return footer ? `${text}\n${footer.trim()}` : text;
}

/** Warns once per non-GSM character in the template's own text (it forces UCS-2 for everyone). */
function warnNonGsm(text: string, startLine: number, file: string, diags: Diagnostics, startCol = 1): void {
  const seen = new Set<string>();
  let offset = 0;
  for (const ch of text) {
    if (!isGsmChar(ch) && !seen.has(ch)) {
      seen.add(ch);
      const p = lineColAt(text, offset);
      diags.warn(file, `${describeChar(ch)} is not in the GSM-7 alphabet: every message becomes UCS-2 (70 characters per segment instead of 160)`, p.line + startLine - 1, p.line === 1 ? p.col + startCol - 1 : p.col);
    }
    offset += ch.length;
  }
}

export function compileSms(ctx: CompileContext, diags: Diagnostics): CompiledSms | undefined {
  const { file } = ctx.template;
  const fm = readFrontMatter(ctx.text.replace(/\r\n/g, '\n'), file, SMS_KEYS, diags);
  if (!fm) return undefined;
  let maxSegments = DEFAULT_MAX_SEGMENTS;
  const raw = fm.fields.max_segments;
  if (raw !== undefined) {
    if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 1 && raw <= SEGMENTS_CEILING) maxSegments = raw;
    else {
      const p = fm.source?.pos(['max_segments']);
      diags.error(file, `max_segments must be a whole number from 1 to ${SEGMENTS_CEILING}`, p?.line, p?.col);
    }
  }
  const footer = stringField(fm, 'opt_out_footer', file, diags);
  const engine = ctx.engines.text;
  const body = parseLiquid(engine, fm.body, { file, line: fm.bodyLine, col: 1 }, diags);
  if (fm.body.trim() === '') diags.error(file, 'the message text is empty', fm.bodyLine);
  const footerOrigin = footer === undefined ? undefined : valueOrigin(fm, 'opt_out_footer', file, ctx.text);
  const footerParsed = footer === undefined || !footerOrigin ? undefined : parseLiquid(engine, footer, footerOrigin, diags);
  for (const p of [body, footerParsed]) if (p) checkVariables(p, 'sms', diags);
  warnNonGsm(fm.body, fm.bodyLine, file, diags);
  if (footer !== undefined && footerOrigin) warnNonGsm(footer, footerOrigin.line, file, diags, footerOrigin.col);
  if (!body || (footer !== undefined && !footerParsed)) return undefined;

  const sources = [body, footerParsed].filter((p): p is ParsedLiquid => p !== undefined);
  const campaign = ctx.campaign;
  return {
    name: ctx.template.name,
    channel: 'sms',
    file,
    maxSegments,
    render(vars: TemplateVars): RenderedSms {
      const scope = buildScope(vars, { campaign });
      const text = composeSms(renderLiquid(engine, body, scope, sources), footerParsed && renderLiquid(engine, footerParsed, scope, sources));
      if (text === '') throw new RenderError(`${file}: the message rendered empty`, 'empty_message');
      const info = smsInfo(text);
      if (info.segments > maxSegments) {
        const why = info.encoding === 'UCS-2' ? ` (UCS-2 because of ${info.nonGsm.map(describeChar).join(', ')})` : '';
        throw new RenderError(
          `${file}: the message is ${info.segments} segments${why}, ${info.units} ${info.encoding === 'GSM-7' ? 'septets' : 'UTF-16 units'}; max_segments is ${maxSegments}`,
          'too_many_segments',
        );
      }
      return { channel: 'sms', text, encoding: info.encoding, segments: info.segments, characters: info.characters };
    },
  };
}
