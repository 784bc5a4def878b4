/**
 * Finding and replacing the links of a rendered message, for click tracking
 * (src/campaigns/tracking.ts decides what each link becomes). HTML goes through htmlparser2's
 * tokenizer, which reports where every attribute name and value sits in the input: only the
 * `href` values of `<a>` and `<area>` are replaced, and the `data-mkt-track` attribute removed;
 * every other byte of the HTML is left as it was (no parse → serialise round trip, which would
 * re-quote attributes and re-encode entities). Text (the email's text part, an SMS) has no
 * markup, so there a link is an http(s) URL up to whitespace, an angle bracket or a quote.
 */
import { QuoteType, Tokenizer } from 'htmlparser2';

/** What to put in place of a link: a new URL, or undefined to leave it untouched. */
export type LinkRewriter = (url: string) => string | undefined;

export const TRACK_ATTRIBUTE = 'data-mkt-track';

interface Attr {
  name: string;
  nameStart: number;
  /** the raw value's span (without quotes); start === end for an empty or missing value */
  valueStart: number;
  valueEnd: number;
  /** the value with entities decoded */
  value: string;
  end: number;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

const LINK_TAGS = new Set(['a', 'area']);
const isSpace = (c: string | undefined) => c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f';

/** Escapes a URL for a double- or single-quoted or unquoted attribute value. */
function attributeText(url: string, quote: QuoteType): string {
  const escaped = url.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
  return quote === QuoteType.Unquoted ? escaped.replace(/[\s<>=`]/g, (c) => `&#${c.charCodeAt(0)};`) : escaped;
}

/**
 * Rewrites the href of every `<a>`/`<area>` that `rewrite` gives a new URL for, and removes
 * every `data-mkt-track` attribute. A link marked `data-mkt-track="off"` is not offered to
 * `rewrite`; its URL is returned in `off` (so the text part can leave it alone too).
 */
export function rewriteHtmlLinks(html: string, rewrite: LinkRewriter): { html: string; off: string[] } {
  const edits: Edit[] = [];
  const off: string[] = [];
  let tag = '';
  let attrs: Attr[] = [];
  let current: { name: string; nameStart: number; nameEnd: number; parts: string[]; first: number; last: number } | undefined;

  const tagDone = () => {
    const mark = attrs.find((a) => a.name === TRACK_ATTRIBUTE);
    if (mark) {
      // the attribute and the whitespace before it go, so `<a href=x data-mkt-track="off">` becomes `<a href=x>`
      let start = mark.nameStart;
      while (start > 0 && isSpace(html[start - 1])) start--;
      edits.push({ start, end: mark.end, text: '' });
    }
    if (LINK_TAGS.has(tag)) {
      // the first href counts, as in browsers
      const href = attrs.find((a) => a.name === 'href');
      if (href) {
        const url = href.value.trim();
        if (mark && mark.value.trim().toLowerCase() === 'off') off.push(url);
        else {
          const next = rewrite(url);
          if (next !== undefined) edits.push({ start: href.valueStart, end: href.valueEnd, text: attributeText(next, quoteOf(html, href)) });
        }
      }
    }
    tag = '';
    attrs = [];
  };

  const tokenizer = new Tokenizer(
    { decodeEntities: true },
    {
      onopentagname(start, end) {
        tag = html.slice(start, end).toLowerCase();
        attrs = [];
      },
      onattribname(start, end) {
        current = { name: html.slice(start, end).toLowerCase(), nameStart: start, nameEnd: end, parts: [], first: -1, last: -1 };
      },
      onattribdata(start, end) {
        if (!current) return;
        current.parts.push(html.slice(start, end));
      },
      onattribentity(codepoint) {
        current?.parts.push(String.fromCodePoint(codepoint));
      },
      onattribend(quote, end) {
        if (!current) return;
        const { valueStart, valueEnd } = valueSpan(html, current.nameEnd, quote, end);
        attrs.push({ name: current.name, nameStart: current.nameStart, valueStart, valueEnd, value: current.parts.join(''), end });
        current = undefined;
      },
      onopentagend: tagDone,
      onselfclosingtag: tagDone,
      onclosetag() {},
      oncdata() {},
      oncomment() {},
      ondeclaration() {},
      onend() {},
      onprocessinginstruction() {},
      ontext() {},
      ontextentity() {},
    },
  );
  tokenizer.write(html);
  tokenizer.end();
  return { html: applyEdits(html, edits), off };
}

/** Where an attribute's raw value sits: after `=`, spaces and the opening quote; before the closing quote. */
function valueSpan(html: string, nameEnd: number, quote: QuoteType, end: number): { valueStart: number; valueEnd: number } {
  if (quote === QuoteType.NoValue) return { valueStart: end, valueEnd: end };
  let i = nameEnd;
  while (isSpace(html[i])) i++;
  i++; // '='
  while (isSpace(html[i])) i++;
  if (quote !== QuoteType.Unquoted) i++; // the opening quote
  return { valueStart: i, valueEnd: quote === QuoteType.Unquoted ? end : end - 1 };
}

function quoteOf(html: string, a: Attr): QuoteType {
  const before = html[a.valueStart - 1];
  return before === '"' ? QuoteType.Double : before === "'" ? QuoteType.Single : QuoteType.Unquoted;
}

function applyEdits(text: string, edits: Edit[]): string {
  if (edits.length === 0) return text;
  edits.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += text.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + text.slice(at);
}

/**
 * An http(s) URL in plain text: up to whitespace, `<>"'`, or brackets that text converters put
 * around URLs (`[https://…]`); trailing sentence punctuation is not part of it.
 */
const TEXT_URL = /\bhttps?:\/\/[^\s<>"'[\]]+/gi;
const count = (s: string, c: string) => s.split(c).length - 1;

/** The URL without trailing sentence punctuation, and without a ")" it did not open itself. */
function trimUrl(found: string): string {
  let url = found;
  for (;;) {
    const last = url[url.length - 1]!;
    if ('.,;:!?'.includes(last) || (last === ')' && count(url, '(') < count(url, ')'))) url = url.slice(0, -1);
    else return url;
  }
}

/** Rewrites every http(s) URL in plain text that `rewrite` gives a new URL for. */
export function rewriteTextLinks(text: string, rewrite: LinkRewriter): string {
  return text.replace(TEXT_URL, (found) => {
    const url = trimUrl(found);
    const next = url.length > 'https://'.length ? rewrite(url) : undefined;
    return next === undefined ? found : next + found.slice(url.length);
  });
}

/** Adds UTM parameters (already URL-encoded pairs) unless the URL has a utm_ parameter already; before any #fragment. */
export function withUtm(url: string, params: Array<[string, string]>): string {
  if (params.length === 0) return url;
  const hash = url.indexOf('#');
  const base = hash >= 0 ? url.slice(0, hash) : url;
  const fragment = hash >= 0 ? url.slice(hash) : '';
  const q = base.indexOf('?');
  const query = q >= 0 ? base.slice(q + 1) : '';
  if (query.split('&').some((p) => /^utm_/i.test(p))) return url;
  const added = params.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');
  const sep = q < 0 ? '?' : query === '' || base.endsWith('&') ? '' : '&';
  return `${base}${sep}${added}${fragment}`;
}
