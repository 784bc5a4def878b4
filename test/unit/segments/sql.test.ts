import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { filterToSql } from '../../../src/db/segment-sql.js';
import { sqliteRepositories } from '../../../src/db/sqlite-repositories.js';
import { compileSegment, countSegment, listSegments, previewSegment, validateSegments } from '../../../src/segments/index.js';
import { memorySource, SegmentLibrary } from '../../../src/segments/library.js';
import { formatIssue } from '../../../src/segments/parse.js';
import { insertCustomers, memoryStore } from './support.js';
import { MktError } from '../../../src/errors.js';

const NOW = new Date('2026-01-15T12:00:00Z');
const DAY = 86_400_000;

/** Strings an attacker might try in values and names. */
const INJECTIONS = [
  "'; DROP TABLE customers; --",
  "' OR '1'='1",
  '" OR 1=1 --',
  "DE') OR 1=1 --",
  '1; DELETE FROM customers',
  '%',
  '_',
  '\\',
  "\\'",
  '?',
  '$.x',
  "') UNION SELECT name, 1 FROM sqlite_master --",
  '*/ OR 1=1 /*',
  'Robert"); DROP TABLE customers;--',
];

/** The values of a bound `in` list (one JSON array), or none. */
function jsonList(p: string): unknown[] {
  try {
    const v: unknown = JSON.parse(p);
    return Array.isArray(v) ? v : [];
  } catch {
    return [];
  }
}

function tableNames(store: ReturnType<typeof memoryStore>): string[] {
  return (store.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

describe('no user text becomes SQL text (injection corpus)', () => {
  const store = memoryStore();
  const tables = tableNames(store);
  insertCustomers(store, [
    { country: 'DE', email: 'a@example.com', attributes: { plan: 'pro' } },
    { country: INJECTIONS[0], email: INJECTIONS[1], attributes: { plan: INJECTIONS[2] } },
    { country: '%', first_name: '_', last_name: '\\' },
  ]);
  afterAll(() => store.close());

  it.each(INJECTIONS)('value %j is bound, never spliced', async (evil) => {
    const ops = [{ eq: evil }, { ne: evil }, { in: [evil, 'DE'] }, { not_in: [evil] }, { contains: evil }, { starts_with: evil }, { ends_with: evil }];
    for (const field of ['country', 'email', 'first_name', 'last_name', 'attributes.plan']) {
      for (const op of ops) {
        const where = { any: [{ [field]: op }, { not: { [field]: op } }] };
        const lib = new SegmentLibrary(memorySource({ t: stringify({ where }) }));
        const r = await lib.resolve('t');
        expect(r?.issues).toEqual([]);
        const sql = filterToSql(r!.filter!, NOW);
        expect(sql.text).not.toContain(evil.length > 2 ? evil : '\u0000');
        // the value travels as a parameter (LIKE patterns carry it escaped, `in` lists as one JSON array)
        expect(sql.params.some((p) => typeof p === 'string' && (p.replace(/\\([\\%_])/g, '$1').includes(evil) || jsonList(p).includes(evil)))).toBe(true);
        const n = (store.sqlite.prepare(`SELECT count(*) AS n FROM customers c WHERE ${sql.text}`).get(...sql.params) as { n: number }).n;
        // `x OR NOT x` holds for every customer: nothing leaked into the structure of the query
        expect(n).toBe(3);
      }
    }
    expect(tableNames(store)).toEqual(tables);
    expect((store.sqlite.prepare('SELECT count(*) AS n FROM customers').get() as { n: number }).n).toBe(3);
  });

  it('values match literally: quotes, LIKE wildcards and backslashes', async () => {
    const count = async (where: unknown) => {
      const r = await new SegmentLibrary(memorySource({ t: stringify({ where }) })).resolve('t');
      const sql = filterToSql(r!.filter!, NOW);
      return (store.sqlite.prepare(`SELECT count(*) AS n FROM customers c WHERE ${sql.text}`).get(...sql.params) as { n: number }).n;
    };
    expect(await count({ country: { eq: INJECTIONS[0] } })).toBe(1);
    expect(await count({ country: { contains: '%' } })).toBe(1);
    expect(await count({ first_name: { contains: '_' } })).toBe(1);
    expect(await count({ last_name: { ends_with: '\\' } })).toBe(1);
    expect(await count({ country: { starts_with: "'; drop" } })).toBe(1);
    expect(await count({ 'attributes.plan': { contains: 'OR 1=1' } })).toBe(1);
  });

  it('field names and JSON paths come only from the whitelist', async () => {
    const evilFields = ['country; DROP TABLE customers', 'c.country', 'country--', 'attributes.plan"]', "attributes.a') OR 1=1 --", 'attributes.$.x', 'attributes.', 'sqlite_master'];
    for (const field of evilFields) {
      const r = await new SegmentLibrary(memorySource({ t: stringify({ where: { [field]: { eq: 'x' } } }) })).resolve('t');
      expect(r?.filter).toBeUndefined();
      expect(r?.issues[0]?.message).toMatch(/unknown field|not a usable attribute name|attributes\.<key>/);
    }
  });
});

describe('segments in a workspace: compile, count, breakdown, preview, list, validate', () => {
  let ws: string;
  const store = memoryStore();
  beforeAll(() => {
    ws = mkdtempSync(path.join(os.tmpdir(), 'mkt-seg-'));
    mkdirSync(path.join(ws, 'segments'));
    const write = (name: string, text: string) => writeFileSync(path.join(ws, 'segments', `${name}.yaml`), text);
    write('big', 'description: Big spenders\nwhere:\n  lifetime_value: { gte: 500 }\n');
    write('dach-big', 'where:\n  all:\n    - segment: big\n    - country: { in: [DE, AT, CH] }\n    - not: { segment: lapsed }\n');
    write('lapsed', 'where:\n  last_order_at: { older_than: 180d }\n');
    write('broken', 'where:\n  contry: DE\n');
    insertCustomers(store, [
      { country: 'DE', lifetime_value: 900, last_order_at: NOW.getTime() - 10 * DAY, attributes: { plan: 'pro' } },
      { country: 'AT', lifetime_value: 600, last_order_at: NOW.getTime() - 400 * DAY, attributes: { plan: 'free' } },
      { country: 'CH', lifetime_value: 500, last_order_at: null },
      { country: 'FR', lifetime_value: 5000, last_order_at: NOW.getTime() },
      { country: null, lifetime_value: 10 },
    ]);
  });
  afterAll(() => {
    store.close();
    rmSync(ws, { recursive: true, force: true });
  });

  it('compileSegment gives an embeddable expression over customers c', async () => {
    const sql = await compileSegment(ws, 'dach-big', NOW);
    expect(sql.text.startsWith('(') && sql.text.endsWith(')')).toBe(true);
    const ids = store.sqlite.prepare(`SELECT c.id FROM customers c WHERE ${sql.text} AND c.id > 0 ORDER BY c.id`).all(...sql.params);
    // a customer who never ordered is not "lapsed": not(older_than) of a missing date is true
    expect(ids).toEqual([{ id: 1 }, { id: 3 }]);
  });

  it('countSegment counts, and breaks down by a field', async () => {
    expect(await countSegment(sqliteRepositories(store).segments, ws, 'big', NOW)).toMatchObject({ segment: 'big', count: 4 });
    const r = await countSegment(sqliteRepositories(store).segments, ws, 'big', NOW, { by: 'country' });
    expect(r.by).toEqual({ AT: 1, CH: 1, DE: 1, FR: 1 });
    expect(r.count).toBe(4);
    expect(typeof r.ms).toBe('number');
    expect((await countSegment(sqliteRepositories(store).segments, ws, 'big', NOW, { by: 'attributes.plan' })).by).toEqual({ '(none)': 2, free: 1, pro: 1 });
    expect((await countSegment(sqliteRepositories(store).segments, ws, 'big', NOW, { by: 'last_order_at' })).by).toEqual({ '(none)': 1, '2026-01': 2, '2024-12': 1 });
    expect((await countSegment(sqliteRepositories(store).segments, ws, 'big', NOW, { by: 'email_opt_in' })).by).toEqual({ false: 4 });
  });

  it('unknown --by field is a usage error with a suggestion', async () => {
    await expect(countSegment(sqliteRepositories(store).segments, ws, 'big', NOW, { by: 'contry' })).rejects.toMatchObject({ category: 'usage', message: '--by: unknown field "contry" (did you mean "country"?)' });
  });

  it('unknown and invalid segments are input errors (exit 65) naming the file', async () => {
    await expect(compileSegment(ws, 'bigg', NOW)).rejects.toMatchObject({ category: 'input', code: 'segment_not_found', message: 'no segment "bigg" (segments/bigg.yaml not found) (did you mean "big"?)' });
    const e = await compileSegment(ws, 'broken', NOW).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(MktError);
    expect((e as MktError).message).toBe('segments/broken.yaml:2:3: unknown field "contry" (did you mean "country"?)');
  });

  it('previewSegment returns customers in id order, optionally only some fields', async () => {
    const all = await previewSegment(sqliteRepositories(store).segmentPreview, ws, 'big', NOW, { limit: 2 });
    expect(all.customers.map((c) => c.id)).toEqual([1, 2]);
    expect(all.customers[0]).toMatchObject({ country: 'DE', lifetime_value: 900, attributes: { plan: 'pro' } });
    const some = await previewSegment(sqliteRepositories(store).segmentPreview, ws, 'big', NOW, { limit: 10, fields: ['country', 'attributes.plan'] });
    expect(some.customers).toEqual([
      { id: 1, country: 'DE', 'attributes.plan': 'pro' },
      { id: 2, country: 'AT', 'attributes.plan': 'free' },
      { id: 3, country: 'CH', 'attributes.plan': null },
      { id: 4, country: 'FR', 'attributes.plan': null },
    ]);
  });

  it('listSegments lists every file with its description', async () => {
    expect(await listSegments(ws)).toEqual([
      { name: 'big', description: 'Big spenders', file: 'segments/big.yaml' },
      { name: 'broken', file: 'segments/broken.yaml' },
      { name: 'dach-big', file: 'segments/dach-big.yaml' },
      { name: 'lapsed', file: 'segments/lapsed.yaml' },
    ]);
  });

  it('validateSegments reports every file', async () => {
    const r = await validateSegments(ws);
    expect(r.ok).toBe(false);
    expect(r.segments.map((s) => [s.name, s.ok])).toEqual([
      ['big', true],
      ['broken', false],
      ['dach-big', true],
      ['lapsed', true],
    ]);
    expect(r.segments[1]!.issues.map(formatIssue)).toEqual(['segments/broken.yaml:2:3: unknown field "contry" (did you mean "country"?)']);
    expect((await validateSegments(ws, ['big', 'nope'])).segments.map((s) => s.issues.map(formatIssue))).toEqual([[], ['segments/nope.yaml: no such segment']]);
  });
});
