/**
 * The SQL emitter against the plain evaluator: random customers in a real SQLite store (real
 * migrations) and random definitions (every operator, nesting, not, missing values,
 * attributes, segment references), written as YAML and parsed by the real parser. The ids
 * the SQL selects must be exactly the ids the oracle accepts.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { filterToSql } from '../../../src/db/segment-sql.js';
import { memorySource, SegmentLibrary } from '../../../src/segments/library.js';
import { condition, customer, NOW, text } from './arbitraries.js';
import { insertCustomers, memoryStore, sqlAndOracleIds } from './support.js';

describe('SQL count equals the plain evaluator (oracle)', () => {
  const store = memoryStore();
  afterAll(() => store.close());

  it('for random customers and random filters', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(customer, { maxLength: 25 }), condition(false), condition(true), async (customers, base, main) => {
        store.sqlite.prepare('DELETE FROM customers').run();
        insertCustomers(store, customers);
        const library = new SegmentLibrary(memorySource({ base: stringify({ where: base }), main: stringify({ description: 'random', where: main }) }));
        const resolved = await library.resolve('main');
        expect(resolved?.issues).toEqual([]);
        const now = new Date(NOW);
        const ids = sqlAndOracleIds(store, resolved!.filter!, now);
        expect(ids.sql).toEqual(ids.oracle);
        // and it is still a boolean expression that can be embedded with AND (parenthesised)
        const where = filterToSql(resolved!.filter!, now);
        const n = store.sqlite.prepare(`SELECT count(*) AS n FROM customers c WHERE ${where.text} AND 1`).get(...where.params) as { n: number };
        expect(n.n).toBe(ids.oracle.length);
      }),
      { numRuns: 400 },
    );
  });
});

describe('text operators against the oracle, with needles cut from stored values', () => {
  const store = memoryStore();
  afterAll(() => store.close());
  // case variants of the same words, ASCII and not: the ASCII-only case folding must agree
  const word = fc.oneof(fc.constantFrom('Straße', 'STRASSE', 'Ärger', 'ÄRGER', 'ärger', 'École', 'ÉCOLE', 'İstanbul', 'istanbul', 'a%b_c\\d', 'Ωmega', 'ωMEGA'), text);

  it('contains / starts_with / ends_with agree on case-changed substrings', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(word, { minLength: 1, maxLength: 8 }),
        fc.nat(),
        fc.nat(),
        fc.constantFrom('contains', 'starts_with', 'ends_with'),
        fc.constantFrom('upper', 'lower', 'same'),
        fc.boolean(),
        async (values, pickAt, cutAt, op, kase, negate) => {
          store.sqlite.prepare('DELETE FROM customers').run();
          insertCustomers(store, values.map((v) => ({ first_name: v, attributes: { tag: v } })));
          const source = values[pickAt % values.length]!;
          const chars = [...source];
          const start = op === 'starts_with' ? 0 : cutAt % (chars.length + 1);
          const end = op === 'ends_with' ? chars.length : start + ((cutAt >> 3) % (chars.length - start + 1));
          let needle = chars.slice(start, end).join('');
          needle = kase === 'upper' ? needle.toUpperCase() : kase === 'lower' ? needle.toLowerCase() : needle;
          for (const field of ['first_name', 'attributes.tag']) {
            const test = { [field]: { [op]: needle } };
            const library = new SegmentLibrary(memorySource({ t: stringify({ where: negate ? { not: test } : test }) }));
            const resolved = await library.resolve('t');
            expect(resolved?.issues).toEqual([]);
            const ids = sqlAndOracleIds(store, resolved!.filter!, new Date(NOW));
            expect(ids.sql).toEqual(ids.oracle);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
