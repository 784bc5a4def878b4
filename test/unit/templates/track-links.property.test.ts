/**
 * Click tracking rewrites links and nothing else. Against parse5 (a second, spec-following HTML
 * parser) as the oracle, for generated HTML with links in every quoting, entities, comments,
 * images and marked links:
 * - every <a>/<area> href in the output is a tracked URL or on the never-track list
 *   (not http(s), the unsubscribe link, the tracking domain, or marked data-mkt-track="off");
 * - the output is the input with exactly those href values replaced and every data-mkt-track
 *   attribute (with the whitespace before it) removed: every other byte is the same.
 */
import fc from 'fast-check';
import { parse, type DefaultTreeAdapterMap } from 'parse5';
import { describe, expect, it } from 'vitest';
import { trackable } from '../../../src/campaigns/tracking.js';
import { rewriteHtmlLinks, rewriteTextLinks, withUtm } from '../../../src/templates/track-links.js';

type Element = DefaultTreeAdapterMap['element'];
const BASE = 'https://t.shop.example';
const UNSUB = 'https://mkt.example.com/u/TOKEN.MAC';
const rules = { baseUrl: BASE, unsubscribeBase: 'https://mkt.example.com/u', unsubscribeUrl: UNSUB };

const url = fc.constantFrom(
  'https://shop.example/a',
  'http://shop.example/b?x=1&y=2',
  'HTTPS://Shop.Example/C',
  'https://shop.example/q?a=1&b=%20',
  'mailto:hi@shop.example',
  'tel:+441234',
  'javascript:void(0)',
  '/relative/path',
  '#top',
  UNSUB,
  `${BASE}/c/already`,
  ' https://shop.example/spaced ',
  '',
);
const encode = (v: string, how: number) => (how === 0 ? v.replace(/&/g, '&amp;') : how === 1 ? v : v.replace(/&/g, '&#38;').replace(/\//g, '&#x2F;'));
const quoted = (name: string, v: string, q: number, how: number) => {
  const e = encode(v, how);
  if (q === 0) return `${name}="${e.replace(/"/g, '&quot;')}"`;
  if (q === 1) return `${name}='${e.replace(/'/g, '&#39;')}'`;
  return /^[^\s"'=<>`]+$/.test(e) ? `${name}=${e}` : `${name}="${e}"`;
};
const space = fc.constantFrom(' ', '  ', '\n', '\t');
const link = fc
  .record({ tag: fc.constantFrom('a', 'A', 'area'), url, q: fc.nat(2), how: fc.nat(2), mark: fc.constantFrom(undefined, 'off', 'OFF', 'on'), markFirst: fc.boolean(), sp: space, cls: fc.boolean() })
  .map(({ tag, url, q, how, mark, markFirst, sp, cls }) => {
    const attrs = [quoted('href', url, q, how), ...(cls ? ['class="btn"'] : [])];
    if (mark) attrs[markFirst ? 'unshift' : 'push'](`data-mkt-track="${mark}"`);
    return tag === 'area' ? `<area${sp}${attrs.join(sp)}>` : `<${tag}${sp}${attrs.join(sp)}>go</${tag}>`;
  });
const other = fc.constantFrom(
  '<p>Hello &amp; welcome</p>',
  '<img src="https://shop.example/img.png" alt="">',
  '<!-- <a href="https://shop.example/in-comment">x</a> -->',
  '<span data-mkt-track="off">not a link</span>',
  '<table><tr><td>cell</td></tr></table>',
  '<div style="color:red">text https://shop.example/in-text</div>',
  '<br/>',
  '&lt;a href="https://x"&gt;',
);
const html = fc.array(fc.oneof(link, other), { maxLength: 12 }).map((parts) => `<!doctype html><html><head><title>t</title></head><body>${parts.join('\n')}</body></html>`);

function elements(node: DefaultTreeAdapterMap['parentNode']): Element[] {
  const out: Element[] = [];
  for (const child of node.childNodes) {
    if ('tagName' in child) {
      out.push(child);
      out.push(...elements(child));
    }
  }
  return out;
}

/** What the output must be, computed from parse5's view of the input. */
function expected(input: string, track: (u: string) => string): string {
  const doc = parse(input, { sourceCodeLocationInfo: true });
  const edits: Array<{ start: number; end: number; text: string }> = [];
  for (const el of elements(doc)) {
    const loc = el.sourceCodeLocation?.attrs;
    if (!loc) continue;
    const mark = el.attrs.find((a) => a.name === 'data-mkt-track');
    if (mark) {
      let start = loc['data-mkt-track']!.startOffset;
      while (/\s/.test(input[start - 1]!)) start--;
      edits.push({ start, end: loc['data-mkt-track']!.endOffset, text: '' });
    }
    const href = el.attrs.find((a) => a.name === 'href');
    if (!['a', 'area'].includes(el.tagName) || !href || mark?.value.toLowerCase() === 'off') continue;
    const u = href.value.trim();
    if (!trackable(u, rules)) continue;
    const { startOffset, endOffset } = loc.href!;
    const raw = input.slice(startOffset, endOffset);
    let v = raw.indexOf('=') + 1;
    while (/\s/.test(raw[v]!)) v++;
    const quote = raw[v] === '"' || raw[v] === "'";
    edits.push({ start: startOffset + v + (quote ? 1 : 0), end: endOffset - (quote ? 1 : 0), text: track(u) });
  }
  edits.sort((a, b) => a.start - b.start);
  let out = '';
  let at = 0;
  for (const e of edits) {
    out += input.slice(at, e.start) + e.text;
    at = e.end;
  }
  return out + input.slice(at);
}

describe('rewriteHtmlLinks', () => {
  it('changes exactly the trackable hrefs and the data-mkt-track attributes; every output link is tracked or never-track', () => {
    fc.assert(
      fc.property(html, (input) => {
        const tracked = new Map<string, string>();
        const track = (u: string) => {
          if (!tracked.has(u)) tracked.set(u, `${BASE}/c/T${tracked.size}`);
          return tracked.get(u)!;
        };
        const out = rewriteHtmlLinks(input, (u) => (trackable(u, rules) ? track(u) : undefined)).html;
        expect(out).toBe(expected(input, track));
        const inputOff = new Set(
          elements(parse(input))
            .filter((e) => e.attrs.some((a) => a.name === 'data-mkt-track' && a.value.toLowerCase() === 'off'))
            .map((e) => e.attrs.find((a) => a.name === 'href')?.value.trim()),
        );
        for (const el of elements(parse(out)).filter((e) => e.tagName === 'a' || e.tagName === 'area')) {
          expect(el.attrs.some((a) => a.name === 'data-mkt-track')).toBe(false);
          const href = el.attrs.find((a) => a.name === 'href')?.value.trim();
          if (href === undefined) continue;
          expect(href.startsWith(`${BASE}/c/`) || !trackable(href, rules) || inputOff.has(href), href).toBe(true);
        }
      }),
      { numRuns: 400 },
    );
  });

  it('without links or marks the HTML comes back as it was', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const input = s.replace(/<|&/g, ' ');
        expect(rewriteHtmlLinks(input, () => 'x').html).toBe(input);
      }),
    );
  });
});

describe('rewriteTextLinks', () => {
  it('rewrites bare and bracketed URLs, leaving sentence punctuation outside', () => {
    const out = rewriteTextLinks('Sale: https://shop.example/a. See [https://shop.example/b?x=1] or (https://w.example/a_(b)), mailto:x@y', (u) => `<${u}>`);
    expect(out).toBe('Sale: <https://shop.example/a>. See [<https://shop.example/b?x=1>] or (<https://w.example/a_(b)>), mailto:x@y');
  });
});

describe('withUtm', () => {
  it('adds the parameters before the fragment, unless a utm_ parameter is there', () => {
    const utm: Array<[string, string]> = [['utm_source', 'mkt'], ['utm_medium', 'e mail']];
    expect(withUtm('https://a.example/x', utm)).toBe('https://a.example/x?utm_source=mkt&utm_medium=e%20mail');
    expect(withUtm('https://a.example/x?b=1#top', utm)).toBe('https://a.example/x?b=1&utm_source=mkt&utm_medium=e%20mail#top');
    expect(withUtm('https://a.example/x?', utm)).toBe('https://a.example/x?utm_source=mkt&utm_medium=e%20mail');
    expect(withUtm('https://a.example/x?UTM_campaign=z', utm)).toBe('https://a.example/x?UTM_campaign=z');
    expect(withUtm('https://a.example/x', [])).toBe('https://a.example/x');
  });
});
