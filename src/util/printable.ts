/**
 * Text from a file or a flag shown in a message: quoted, with every character that would not
 * show as itself escaped. JSON.stringify escapes C0 controls but leaves DEL, C1, bidi controls
 * (U+202E turns the rest of a line around), zero-width characters and U+2028/2029 raw, so a
 * reject message could look like a different address than the one refused.
 */

/** C0, DEL, C1 (Cc); bidi controls, zero-width characters, BOM, soft hyphen (Cf); line/paragraph separators. */
export const INVISIBLE = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const INVISIBLE_ALL = new RegExp(INVISIBLE.source, 'gu');

const unit = (c: string, k: number) => `\\u${c.charCodeAt(k).toString(16).padStart(4, '0')}`;

/** `value` as a JSON string literal in which every invisible character is a `\uXXXX` escape. */
export function quoted(value: string): string {
  // per UTF-16 unit: an astral character (a tag, U+E0001) becomes its surrogate pair, as in JSON
  return JSON.stringify(value).replace(INVISIBLE_ALL, (c) => Array.from({ length: c.length }, (_, k) => unit(c, k)).join(''));
}
