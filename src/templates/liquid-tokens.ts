/**
 * The Liquid tags and outputs of a text, in order, normalised (entities decoded, whitespace
 * collapsed). Comparing these sequences proves that a transformation (MJML compile, the
 * HTML-to-text conversion) kept every piece of Liquid, in order.
 */
const TOKEN = /\{\{[\s\S]*?\}\}|\{%[\s\S]*?%\}/g;

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'", '&#x27;': "'", '&apos;': "'" };

function normalise(token: string): string {
  return token
    .replace(/&(amp|lt|gt|quot|apos|#39|#x27);/g, (e) => ENTITIES[e] ?? e)
    .replace(/\s+/g, ' ')
    .replace(/^(\{[{%])-?\s*/, '$1 ')
    .replace(/\s*-?([}%]\})$/, ' $1');
}

export function liquidTokens(text: string): string[] {
  return (text.match(TOKEN) ?? []).map(normalise);
}

/** The first token of `expected` that `actual` lost or changed (undefined when they agree). */
export function firstMissingToken(expected: string[], actual: string[]): { token: string; index: number } | undefined {
  const remaining = new Map<string, number>();
  for (const t of actual) remaining.set(t, (remaining.get(t) ?? 0) + 1);
  for (let i = 0; i < expected.length; i++) {
    const t = expected[i]!;
    const n = remaining.get(t) ?? 0;
    if (n === 0) return { token: t, index: i };
    remaining.set(t, n - 1);
  }
  return undefined;
}

export function sameTokens(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((t, i) => t === b[i]);
}

/** 1-based line and column of a character offset. */
export function lineColAt(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let last = -1;
  for (let i = 0; i < offset; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      last = i;
    }
  }
  return { line, col: offset - last };
}

/** Offset of the n-th (0-based) Liquid token in `text`. */
export function tokenOffset(text: string, index: number): number {
  let i = 0;
  for (const m of text.matchAll(TOKEN)) {
    if (i++ === index) return m.index ?? 0;
  }
  return 0;
}
