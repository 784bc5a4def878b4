/**
 * One Liquid pass for both parts of an email. The HTML and its text conversion hold the same
 * Liquid tokens in the same order (email.ts checks that), so they can be interleaved into one
 * template: HTML text as is, the text part's static text between private-use markers, every
 * output between value markers. One render then evaluates each output once; splitting the
 * result yields the HTML (values HTML-escaped, as outputEscape would) and the text (values raw).
 * Liquid outputs cost microseconds each in liquidjs, so this nearly halves the per-recipient cost.
 * Anything unusual (whitespace control, capture, raw/comment blocks, marker characters in the
 * template) is never combined; a value that would write a marker character at render time (from a
 * recipient's data, or made by a filter such as url_decode from harmless data) trips the output
 * guard, and that recipient is rendered in two separate passes.
 */
import { liquidTokens, sameTokens } from './liquid-tokens.js';

/**
 * Markers: OPEN + kind (t: text-part static, v: escaped value, r: raw value) … CLOSE. C0 control
 * characters, which no HTML or text template holds. They must stay within Latin-1: V8 stores a
 * string holding any character above U+00FF with two bytes per character, so private-use markers
 * made every rendered HTML and text part (and every slice of them) twice its size in memory.
 */
export const OPEN = '\x01';
export const CLOSE = '\x02';
const ANY_MARKER = /[\x01\x02]/;
const TOKEN = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;
const RAW_OUTPUT = /\|\s*raw\s*\}\}$/;

/** Tags whose output is their body's output (or nothing): safe to interleave. */
const SAFE_TAGS = new Set(['if', 'elsif', 'else', 'endif', 'unless', 'endunless', 'case', 'when', 'endcase', 'for', 'endfor', 'break', 'continue', 'assign', 'include', 'render']);

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
/** The same escaping liquidjs's outputEscape: 'escape' applies. */
const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

function splitTokens(text: string): { statics: string[]; tokens: string[] } {
  const statics: string[] = [];
  const tokens: string[] = [];
  let last = 0;
  for (const m of text.matchAll(TOKEN)) {
    statics.push(text.slice(last, m.index));
    tokens.push(m[0]);
    last = (m.index ?? 0) + m[0].length;
  }
  statics.push(text.slice(last));
  return { statics, tokens };
}

function interleavable(token: string): boolean {
  if (/^\{[{%]-|-[}%]\}$/.test(token)) return false; // whitespace control would trim across the markers
  if (token.startsWith('{{')) return true;
  const name = /^\{%\s*(\w+)/.exec(token)?.[1];
  return name !== undefined && SAFE_TAGS.has(name);
}

/** The interleaved Liquid source, or undefined when these two cannot share one pass. */
export function combineSources(html: string, text: string): string | undefined {
  if (ANY_MARKER.test(html) || ANY_MARKER.test(text)) return undefined;
  const h = splitTokens(html);
  const t = splitTokens(text);
  if (!sameTokens(liquidTokens(html), liquidTokens(text)) || h.tokens.length !== t.tokens.length) return undefined;
  if (!h.tokens.every(interleavable)) return undefined;
  let out = '';
  for (let i = 0; i < h.statics.length; i++) {
    out += h.statics[i];
    if (t.statics[i]) out += `${OPEN}t${t.statics[i]}${CLOSE}`;
    const token = h.tokens[i];
    if (token === undefined) continue;
    if (!token.startsWith('{{')) out += token;
    // a `| raw` output is marked raw and loses its `raw`, so that the output guard sees it too
    else if (RAW_OUTPUT.test(token)) out += `${OPEN}r${token.replace(RAW_OUTPUT, '}}')}${CLOSE}`;
    else out += `${OPEN}v${token}${CLOSE}`;
  }
  return out;
}

/** Thrown by the output guard: the recipient is then rendered in two passes. */
class MarkerInOutput extends Error {}

/**
 * The one-pass engine's outputEscape: every value an output writes passes through it unchanged,
 * unless its text holds a marker character, which would fake the split (e.g. a value closing its
 * own marker and smuggling unescaped HTML out). liquidjs writes a value as its string, an array as
 * its elements' strings; anything nested deeper than a few levels counts as holding one.
 */
export function guardOutput(value: unknown): unknown {
  if (holdsMarker(value, 0)) throw new MarkerInOutput('a rendered value holds a marker character');
  return value;
}

function holdsMarker(value: unknown, depth: number): boolean {
  if (typeof value === 'string') return ANY_MARKER.test(value);
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return false;
  if (depth > 4) return true;
  if (Array.isArray(value)) return value.some((v) => holdsMarker(v, depth + 1));
  return ANY_MARKER.test(String(value));
}

/** Splits one interleaved render into HTML and text (undefined if the markers do not pair up). */
export function splitRendered(s: string): { html: string; text: string } | undefined {
  let html = '';
  let text = '';
  let i = 0;
  for (;;) {
    const open = s.indexOf(OPEN, i);
    if (open < 0) break;
    html += s.slice(i, open);
    const close = s.indexOf(CLOSE, open + 2);
    if (close < 0) return undefined;
    const inner = s.slice(open + 2, close);
    if (inner.includes(OPEN)) return undefined;
    const kind = s[open + 1];
    if (kind === 't') text += inner;
    else {
      html += kind === 'v' ? escapeHtml(inner) : inner;
      text += inner;
    }
    i = close + 1;
  }
  html += s.slice(i);
  // a CLOSE from a recipient's data ends its value early and leaves the real CLOSE behind
  if (html.includes(CLOSE) || text.includes(CLOSE)) return undefined;
  return { html, text };
}
