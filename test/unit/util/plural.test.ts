/** count(): a number with its noun, singular for exactly one, in every message that counts things. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mustEmptyTarget } from '../../../src/db/pg/copy-tables.js';
import { count } from '../../../src/util/plural.js';

describe('count', () => {
  it('is singular for exactly one and plural otherwise', () => {
    expect(count(1, 'suppression')).toBe('1 suppression');
    expect(count(0, 'suppression')).toBe('0 suppressions');
    expect(count(2, 'entry', 'entries')).toBe('2 entries');
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), (n) => {
        expect(count(n, 'row')).toBe(n === 1 ? '1 row' : `${n} rows`);
      }),
    );
  });

  it('db copy names what a non-empty target holds without "1 suppressions"', () => {
    expect(() => mustEmptyTarget({ customers: 3, suppressions: 1, campaigns: 0 }, 'postgres://u:***@h/db', false)).toThrow(
      'the target postgres://u:***@h/db is not empty (3 rows in customers, 1 row in suppressions); nothing was copied',
    );
  });
});
