/**
 * A count with its noun, singular for exactly one: `count(1, 'suppression')` is "1 suppression",
 * `count(3, 'suppression')` "3 suppressions". One helper, so no message says "1 suppressions".
 * `plural` is for nouns that do not just take an "s" (`count(2, 'entry', 'entries')`).
 */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
