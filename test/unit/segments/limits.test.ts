/**
 * Segments SQLite cannot run are found while the definition is resolved (an issue with
 * file:line:col, exit 65), and the shapes that used to hit SQLite's limits now run: an `in:`
 * list of 100,000 values, an `any:` of thousands of conditions.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { filterSqlCost, filterToSql } from '../../../src/db/segment-sql.js';
import type { Filter, Leaf } from '../../../src/segments/ast.js';
import { resolveField } from '../../../src/segments/fields.js';
import { memorySource, SegmentLibrary } from '../../../src/segments/library.js';
import {
  checkLimits,
  MAX_FILTER_VARIABLES,
  MAX_NESTING,
  SQLITE_MAX_EXPR_DEPTH,
  SQLITE_MAX_LIKE_PATTERN_LENGTH,
  SQLITE_MAX_PARSER_DEPTH,
  SQLITE_MAX_VARIABLE_NUMBER,
} from '../../../src/segments/limits.js';
import { formatIssue } from '../../../src/segments/parse.js';
import { insertCustomers, memoryStore, sqlAndOracleIds } from './support.js';

const NOW = new Date('2026-01-15T12:00:00Z');

async function resolve(files: Record<string, string>, name = 't') {
  const r = await new SegmentLibrary(memorySource(files)).resolve(name);
  return { filter: r?.filter, issues: (r?.issues ?? []).map(formatIssue) };
}

function count(store: ReturnType<typeof memoryStore>, filter: Filter): number {
  const sql = filterToSql(filter, NOW);
  return (store.sqlite.prepare(`SELECT count(*) AS n FROM customers c WHERE ${sql.text}`).get(...sql.params) as { n: number }).n;
}

describe('the limits mkt states are the ones SQLite was built with', () => {
  it('matches PRAGMA compile_options', () => {
    const store = memoryStore();
    const options = (store.sqlite.prepare('PRAGMA compile_options').all() as Array<{ compile_options: string }>).map((r) => r.compile_options);
    store.close();
    expect(options).toContain(`MAX_EXPR_DEPTH=${SQLITE_MAX_EXPR_DEPTH}`);
    expect(options).toContain(`MAX_VARIABLE_NUMBER=${SQLITE_MAX_VARIABLE_NUMBER}`);
    expect(options).toContain(`MAX_LIKE_PATTERN_LENGTH=${SQLITE_MAX_LIKE_PATTERN_LENGTH}`);
  });
});

describe('the emitter counts expression height exactly as SQLite does', () => {
  const store = memoryStore();
  afterAll(() => store.close());
  const field = (name: string) => resolveField(name)!;
  const leaves: Leaf[] = [
    { kind: 'cmp', field: field('lifetime_value'), type: 'number', op: 'gt', value: 5 },
    { kind: 'cmp', field: field('attributes.plan'), type: 'string', op: 'eq', value: 'pro' },
    { kind: 'cmp', field: field('attributes.flag'), type: 'boolean', op: 'eq', value: true },
    { kind: 'in', field: field('country'), type: 'string', values: ['DE', 'AT'], negate: false },
    { kind: 'in', field: field('attributes.score'), type: 'number', values: [1, 2], negate: true },
    { kind: 'text', field: field('email'), op: 'contains', value: 'x' },
    { kind: 'text', field: field('attributes.plan'), op: 'starts_with', value: 'p' },
    { kind: 'within', field: field('last_order_at'), spanMs: 1000, negate: false },
    { kind: 'within', field: field('attributes.seen'), spanMs: 1000, negate: true },
    { kind: 'exists', field: field('phone'), present: true },
    { kind: 'exists', field: field('attributes.plan'), present: false },
  ];
  const cheap: Filter = { kind: 'exists', field: field('id'), present: true };
  /** `levels` levels of two-item `any` around the filter (on the left, so the parser stack stays low): each adds one level of height. */
  const higher = (f: Filter, levels: number): Filter => {
    let out = f;
    for (let i = 0; i < levels; i++) out = { kind: 'any', items: [out, cheap] };
    return out;
  };
  /** `levels` one-item `all` around the filter: each adds one parenthesis, one parser-stack entry and no height. */
  const parenthesised = (f: Filter, levels: number): Filter => {
    let out = f;
    for (let i = 0; i < levels; i++) out = { kind: 'all', items: [out] };
    return out;
  };
  const runs = (f: Filter): true | string => {
    const sql = filterToSql(f, NOW);
    try {
      store.sqlite.prepare(`SELECT count(*) AS n FROM customers c WHERE ${sql.text}`).get(...sql.params);
      return true;
    } catch (e) {
      return (e as Error).message;
    }
  };
  // What this statement (SELECT count(*) … WHERE) leaves for the filter, measured: the most
  // SQLite reads there is 2491 parentheses around `v = 1` (the statement itself holds 6 parser
  // entries), and its expression trees may be 999 high (the query planner adds a level).
  const PARSER_AT_WHERE = SQLITE_MAX_PARSER_DEPTH - 6;
  const HEIGHT_AT_WHERE = SQLITE_MAX_EXPR_DEPTH - 1;
  const cases = leaves.flatMap((l): Filter[] => [l, { kind: 'not', item: l }, { kind: 'any', items: [cheap, { kind: 'not', item: l }] }]);
  /** The most levels of `wrap` around f that SQLite runs. */
  const most = (f: Filter, wrap: (f: Filter, n: number) => Filter) => {
    let lo = 0;
    let hi = 3000;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (runs(wrap(f, mid)) === true) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };

  it.each(cases.map((f) => [JSON.stringify(f).slice(0, 90), f] as const))('%s: the height is exact at SQLite\'s limit', (_label, f) => {
    const base = filterSqlCost(f).depth;
    const levels = most(f, higher);
    expect(filterSqlCost(higher(f, levels)).depth).toBe(HEIGHT_AT_WHERE);
    expect(base + levels).toBe(HEIGHT_AT_WHERE);
    expect(runs(higher(f, levels + 1))).toMatch(/Expression tree is too large/);
  });

  it.each(cases.map((f) => [JSON.stringify(f).slice(0, 90), f] as const))('%s: the parser count is never below SQLite\'s, and close to it', (_label, f) => {
    const estimate = filterSqlCost(f).parserDepth;
    const levels = most(f, parenthesised);
    const real = PARSER_AT_WHERE - levels;
    expect(estimate).toBeGreaterThanOrEqual(real);
    expect(estimate - real).toBeLessThanOrEqual(4);
    expect(runs(parenthesised(f, levels + 1))).toMatch(/Recursion limit/);
  });

  it('long all/any lists are balanced: 100,000 items stay low', () => {
    const many: Filter = { kind: 'any', items: Array.from({ length: 100_000 }, () => cheap) };
    expect(filterSqlCost(many).depth).toBeLessThanOrEqual(30);
    const chain: Filter = { kind: 'all', items: Array.from({ length: 8 }, () => cheap) };
    // short lists stay as written: a chain, one level per operator
    expect(filterSqlCost(chain).depth).toBe(2 + 7);
    expect(filterToSql(chain, NOW).text).toBe(`((${Array(8).fill('c.id IS NOT NULL').join(' AND ')}))`);
  });
});

describe('lists of any length run', () => {
  const store = memoryStore();
  const N = 120_000;
  insertCustomers(
    store,
    Array.from({ length: N }, (_, i) => ({ external_id: `ext-${i}`, order_count: i % 1000, attributes: { code: i } })),
  );
  afterAll(() => store.close());

  it('in: with 100,000 external ids counts exactly those customers (one bound value)', async () => {
    const ids = Array.from({ length: 100_000 }, (_, i) => `ext-${i * 1 + 10_000}`);
    const { filter, issues } = await resolve({ t: `where:\n  external_id: { in: [${ids.join(', ')}, nobody] }\n` });
    expect(issues).toEqual([]);
    expect(filterToSql(filter!, NOW).params).toHaveLength(1);
    expect(count(store, filter!)).toBe(100_000);
    const not = await resolve({ t: `where:\n  external_id: { not_in: [${ids.join(', ')}] }\n` });
    expect(count(store, not.filter!)).toBe(N - 100_000);
    const attr = await resolve({ t: `where:\n  attributes.code: { in: [${ids.map((_, i) => i).join(', ')}] }\n` });
    expect(count(store, attr.filter!)).toBe(100_000);
  });

  it('any: of 999 and of 5,000 conditions counts, and agrees with the plain evaluator', async () => {
    for (const n of [999, 5000]) {
      const items = Array.from({ length: n }, (_, i) => `    - order_count: ${i % 500}`).join('\n');
      const { filter, issues } = await resolve({ t: `where:\n  any:\n${items}\n` });
      expect(issues).toEqual([]);
      expect(count(store, filter!)).toBe(N / 2);
    }
    const small = memoryStore();
    insertCustomers(small, Array.from({ length: 300 }, (_, i) => ({ order_count: i % 40, lifetime_value: i })));
    const items = Array.from({ length: 1200 }, (_, i) => `    - { not: { order_count: ${i % 37} } }`).join('\n');
    const { filter } = await resolve({ t: `where:\n  all:\n${items}\n` });
    const ids = sqlAndOracleIds(small, filter!, NOW);
    expect(ids.sql).toEqual(ids.oracle);
    expect(ids.sql.length).toBeGreaterThan(0);
    small.close();
  });
});

/** `levels` nested `not:` in block style, around one test; line i+2 holds the i-th `not:`. */
function nestedNots(levels: number, inner = 'lifetime_value: 1'): string {
  let text = 'where:\n';
  for (let i = 0; i < levels; i++) text += `${'  '.repeat(i + 1)}not:\n`;
  return text + `${'  '.repeat(levels + 1)}${inner}\n`;
}

describe('what SQLite cannot run is an issue with its position', () => {
  it(`nesting: ${MAX_NESTING} levels run, one more names the combinator`, async () => {
    const ok = await resolve({ t: nestedNots(MAX_NESTING) });
    expect(ok.issues).toEqual([]);
    const store = memoryStore();
    insertCustomers(store, [{ lifetime_value: 1 }, { lifetime_value: 2 }]);
    expect(count(store, ok.filter!)).toBe(1);
    store.close();
    const deep = await resolve({ t: nestedNots(MAX_NESTING + 1) });
    expect(deep.filter).toBeUndefined();
    expect(deep.issues).toEqual([`segments/t.yaml:${MAX_NESTING + 2}:${2 * MAX_NESTING + 3}: nested more than ${MAX_NESTING} levels deep (all / any / not, counted through segment references); flatten the conditions or split them into fewer levels`]);
  });

  it('nesting counts through segment references, and is reported in the file that goes too deep', async () => {
    const files = { a: nestedNots(60, 'segment: b'), b: nestedNots(60) };
    const a = await resolve(files, 'a');
    expect(a.issues).toHaveLength(1);
    expect(a.issues[0]).toMatch(/^segments\/b\.yaml:42:\d+: nested more than 100 levels deep/);
    expect((await resolve(files, 'b')).issues).toEqual([]);
  });

  it('far deeper nesting than the YAML reader manages is an issue, not a crash', async () => {
    const flow = (n: number) => `where: ${'{not: '.repeat(n)}{lifetime_value: 1}${'}'.repeat(n)}\n`;
    for (const text of [flow(150), flow(5000), nestedNots(3000)]) {
      const r = await resolve({ t: text });
      expect(r.filter).toBeUndefined();
      expect(r.issues[0]).toMatch(/^segments\/t\.yaml:\d+:\d+: (nested more than 100 levels deep|YAML: nested too deep to read)/);
    }
  });

  it('more bound values than SQLite takes: reported at where:', async () => {
    const n = MAX_FILTER_VARIABLES + 1;
    const items = Array.from({ length: n }, (_, i) => `    - lifetime_value: ${i}`).join('\n');
    const r = await resolve({ t: `description: many\nwhere:\n  any:\n${items}\n` });
    expect(r.filter).toBeUndefined();
    expect(r.issues).toEqual([
      `segments/t.yaml:2:1: this filter binds ${n} values; SQLite binds at most 32766 per query (SQLITE_MAX_VARIABLE_NUMBER) and mkt keeps 766 for the query around it; write many equalities on one field as one \`in:\` list (a list of any length binds one value)`,
    ]);
    const fits = Array.from({ length: MAX_FILTER_VARIABLES }, (_, i) => `    - lifetime_value: ${i}`).join('\n');
    expect((await resolve({ t: `where:\n  any:\n${fits}\n` })).issues).toEqual([]);
  });

  it('a nest within 100 levels but too deep for the parser is reported, where SQLite would refuse it', () => {
    // 100 levels, each an `any` of 2048 presence tests with the next level last: the balanced
    // halves put it on the right 8 times a level, about 27 parser entries a level
    const leaf: Filter = { kind: 'exists', field: resolveField('phone')!, present: true };
    let filter: Filter = leaf;
    for (let i = 0; i < MAX_NESTING; i++) filter = { kind: 'any', items: [...Array.from({ length: 2047 }, () => leaf), filter] };
    const issues = checkLimits(filter, { file: 'segments/t.yaml', line: 2, col: 1 }).map(formatIssue);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^segments\/t\.yaml:2:1: this filter nests too deep for SQLite's parser \(\d+ stack entries; SQLite takes at most 2500, SQLITE_MAX_PARSER_DEPTH, and mkt keeps 50 for the query around it\); nest fewer levels$/);
    const store = memoryStore();
    const sql = filterToSql(filter, NOW);
    expect(() => store.sqlite.prepare(`SELECT count(*) FROM customers c WHERE ${sql.text}`)).toThrow(/Recursion limit/);
    store.close();
  });

  it('a text pattern longer than SQLite matches: reported at the value', async () => {
    const long = 'a'.repeat(SQLITE_MAX_LIKE_PATTERN_LENGTH - 1);
    const ok = await resolve({ t: `where:\n  email: { contains: ${long.slice(1)} }\n` });
    expect(ok.issues).toEqual([]);
    const store = memoryStore();
    insertCustomers(store, [{ email: long }]);
    expect(count(store, ok.filter!)).toBe(1);
    store.close();
    const r = await resolve({ t: `where:\n  email: { contains: "${long}%" }\n` });
    expect(r.issues).toEqual([
      `segments/t.yaml:2:22: email contains: the value is too long (50003 bytes as a pattern; SQLite matches at most 50000, SQLITE_MAX_LIKE_PATTERN_LENGTH)`,
    ]);
  });
});
