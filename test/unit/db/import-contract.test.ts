/**
 * The import contract: `customers import` and `suppress import` give the same result on every
 * store. The same files go into SQLite (in memory) and PostgreSQL (COPY into a staging table,
 * then set-based statements: src/db/pg/import-store.ts), one after another, and both must give
 * the same summary (counts, rejects, warnings in the same order), the same errors, and the same
 * customers rows, ids included. A property test throws random files over a small pool of
 * identities at both, so that duplicates, chains through shared addresses and updates that
 * undo an earlier line's change all come up.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCustomers, type ImportOptions } from '../../../src/customers/import/index.js';
import { importSuppressions } from '../../../src/compliance/suppressions.js';
import { openRepositories } from '../../../src/db/connect.js';
import type { Repositories } from '../../../src/db/repositories.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('import_contract');
const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-import-contract-'));
let sqlite: Repositories;
let postgres: Repositories | undefined;

beforeAll(async () => {
  sqlite = await openRepositories({ kind: 'sqlite', path: ':memory:' });
  if (pgDb) postgres = await openRepositories({ kind: 'postgres', url: pgDb.url });
});
afterAll(async () => {
  await sqlite?.close();
  await postgres?.close();
  await pgDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = new Date('2026-01-01T00:00:00Z');
const T1 = new Date('2026-02-01T00:00:00Z');
let files = 0;
function file(content: string, ext = 'csv'): string {
  const p = path.join(dir, `f${++files}.${ext}`);
  writeFileSync(p, content);
  return p;
}

/**
 * Every customer in id order, attributes parsed (jsonb keeps no key order; the values must be
 * equal). Ids are compared by their order: a PostgreSQL sequence is not rolled back with a
 * dry run or a failed import, so its ids may have gaps SQLite's do not.
 */
async function customersOf(repos: Repositories) {
  return (await repos.customers.list(100_000)).map(({ id: _id, ...c }) => ({ ...c, attributes: JSON.parse(c.attributes) as unknown }));
}

type Outcome = { ok: true; result: unknown } | { ok: false; code: string; message: string };
async function outcome(run: () => Promise<unknown>): Promise<Outcome> {
  try {
    return { ok: true, result: await run() };
  } catch (e) {
    const err = e as { code?: string; message: string };
    return { ok: false, code: String(err.code), message: err.message };
  }
}

/** Imports `content` into both stores; expects the same outcome and the same customers. Returns the outcome. */
async function both(content: string, opts: Partial<ImportOptions> = {}, ext = 'csv'): Promise<Outcome> {
  const f = file(content, ext);
  const run = (repos: Repositories) => outcome(() => importCustomers(repos.imports, { file: f, now: T0, ...opts }));
  const a = await run(sqlite);
  const b = await run(postgres!);
  expect(b).toEqual(a);
  expect(await customersOf(postgres!)).toEqual(await customersOf(sqlite));
  return a;
}

async function clear(): Promise<void> {
  for (const repos of [sqlite, postgres!]) await repos.customers.insert([], { replace: true });
}

describe.skipIf(!pgDb)('import contract: customers import, SQLite and PostgreSQL', () => {
  it('new customers, then updates of existing ones, attributes merged, consent and defaults', async () => {
    await clear();
    const first = await both(
      'id,email,phone,first_name,country,ltv,orders,newsletter,sms_consent,plan,score\n' +
        'c1,ann@example.com,+4915123456789,Ann,DE,10.50,3,yes,no,pro,7\n' +
        'c2,bob@example.com,,Bob,GB,,,no,,free,\n' +
        ',cy@example.com,,Cy,,,,,,,1.5\n' +
        ',,+447911123456,,GB,,,,yes,,\n',
    );
    expect(first).toMatchObject({ ok: true, result: { read: 4, inserted: 4, updated: 0, unchanged: 0 } });
    // matched by external id, by email (no external id stored), by phone; one unchanged; one new
    const second = await both(
      'id,email,phone,last_name,ltv,newsletter,plan,tier\n' +
        'c1,ann@example.com,,Smith,10.50,yes,pro,gold\n' +
        'c2,bob@example.com,,,,no,free,\n' +
        'c9,cy@example.com,,Young,,,,\n' +
        ',,+447911123456,Phone,,,,\n' +
        'c5,dee@example.com,,,,yes,,\n',
      { now: T1 },
    );
    expect(second).toMatchObject({ ok: true, result: { read: 5, inserted: 1, updated: 3, unchanged: 1 } });
    // the same file again changes nothing
    expect(await both('id,email\nc1,ann@example.com\nc2,bob@example.com\n', { now: T1 })).toMatchObject({ ok: true, result: { unchanged: 2, updated: 0 } });
    // JSON values, objects and arrays kept as they are, merged key by key
    await both('[{"external_id":"c1","prefs":{"a":1},"tags":["x"]},{"external_id":"c2","plan":"pro","n":null}]\n', { now: T1 }, 'json');
    await both('{"external_id":"c1","prefs":{"a":1},"tags":["x"]}\n{"external_id":"c2","plan":"pro"}\n', { now: T1 }, 'jsonl');
  });

  it('values COPY must escape reach PostgreSQL as they are: backslashes, tabs, newlines, a literal \\N', async () => {
    await clear();
    const tricky = ['back\\slash', 'tab\there', 'two\nlines', 'cr\rhere', '\\N', 'ünï cödé ✓', ''];
    const json = tricky.map((t, i) => JSON.stringify({ external_id: `t${i}`, first_name: t, note: t, [`k\t${i}`]: t })).join('\n');
    expect(await both(json + '\n', {}, 'jsonl')).toMatchObject({ ok: true, result: { inserted: tricky.length } });
    const names = (await postgres!.customers.list(100)).map((c) => c.firstName);
    expect(names).toEqual(tricky.map((t) => (t === '' ? null : t)));
  });

  it('the one thing PostgreSQL cannot store, a NUL character, is bad input there (65, nothing imported); SQLite keeps it', async () => {
    await clear();
    const f = file('{"email":"ok@example.com"}\n{"email":"nul@example.com","note":"x\\u0000y"}\n', 'jsonl');
    expect(await outcome(() => importCustomers(sqlite.imports, { file: f, now: T0 }))).toMatchObject({ ok: true, result: { inserted: 2 } });
    expect(await outcome(() => importCustomers(postgres!.imports, { file: f, now: T0 }))).toMatchObject({ ok: false, code: 'import_refused', message: expect.stringContaining('nothing was imported') });
    expect(await postgres!.customers.count()).toBe(0);
  });

  it('two imports at once on PostgreSQL: one after the other, as on SQLite (no duplicate customers, no unique-key error)', async () => {
    await clear();
    const rows = Array.from({ length: 2000 }, (_, i) => `p${i},p${i}@example.com`).join('\n');
    const f = file(`id,email\n${rows}\n`);
    const runs = await Promise.all([0, 1].map(() => outcome(() => importCustomers(postgres!.imports, { file: f, now: T0 }))));
    const counts = runs.map((r) => (r.ok ? [(r.result as { inserted: number }).inserted, (r.result as { unchanged: number }).unchanged] : r));
    expect(counts.sort()).toEqual([
      [0, 2000],
      [2000, 0],
    ]);
    expect(await postgres!.customers.count()).toBe(2000);
  });

  it('bad rows are rejected, warnings kept, a forgotten person refused', async () => {
    await clear();
    for (const repos of [sqlite, postgres!]) await repos.forgotten.keep('email', 'gone@example.com', T0.getTime());
    const r = await both('email,phone,ltv\nann@example.com,,1,5\nbad@,,\ncy@example.com,,x\ngone@example.com,,\nGONE@example.com,,2\n');
    expect(r).toMatchObject({ ok: true, result: { read: 5, inserted: 1, rejected: 4, warnings: 1 } });
  });

  it('duplicates in one file: the later line wins, counted once, warned in line order', async () => {
    await clear();
    await both('id,email,phone,first_name\ns1,sue@example.com,,Sue\ns2,sam@example.com,+4915123456789,Sam\n');
    const r = await both(
      'id,email,phone,first_name,ltv\n' +
        ',sue@example.com,,Susan,\n' + // matched by email
        's1,,,Sue,x\n' + // the same customer by external id, back to its name; a warning of its own first
        ',new@example.com,,New,\n' +
        ',NEW@example.com,+447911123456,Newer,\n' + // the row just inserted
        ',,+447911123456,Newest,\n' +
        's2,other@example.com,,,\n' + // s2 moves off sam@
        ',sam@example.com,,Who,\n', // sam@ no longer belongs to anyone: a new customer
    );
    expect(r).toMatchObject({ ok: true, result: { read: 7, inserted: 2, updated: 1, unchanged: 1, warnings: 4 } });
    expect((r as { result: { warning_samples: Array<{ line: number }> } }).result.warning_samples.map((w) => w.line)).toEqual([3, 3, 5, 6]);
  });

  it('--dry-run writes nothing; --strict and structural errors leave the store as it was, naming file:line', async () => {
    await clear();
    await both('id,email\nk1,kim@example.com\n');
    expect(await both('id,email\nk1,kim2@example.com\nk2,kay@example.com\n', { dryRun: true })).toMatchObject({ ok: true, result: { inserted: 1, updated: 1 } });
    // the duplicate on line 3 comes before the warning on line 4: it is the failure reported
    const strict = await both('email,ltv\nzed@example.com,1\nZED@example.com,2\nyan@example.com,1;5\n', { strict: true });
    expect(strict).toMatchObject({ ok: false, code: 'import_strict', message: expect.stringContaining(':3: same customer as line 2') });
    expect(await both('email,ltv\nzed@example.com,1\nZED@example.com,2\nyan@example.com,"1\n', { strict: true })).toMatchObject({ ok: false, code: 'import_strict' });
    expect(await both('email,ltv\nzed@example.com,1\nyan@example.com,1;5\n', { strict: true })).toMatchObject({ ok: false, code: 'import_strict', message: expect.stringContaining(':3: invalid lifetime_value') });
    expect(await both('email,name\nzed@example.com,Zed\nyan@example.com,"Yan\n')).toMatchObject({ ok: false, code: 'import_malformed', message: expect.stringContaining(':3: unterminated') });
    expect(await postgres!.customers.count()).toBe(1);
  });

  // a small pool of external ids (most rows share one), and a large one (most rows have their
  // own, and share only an email or phone: rows PostgreSQL writes set-based, not in file order)
  it.each([
    ['a small', ['', 'x1', 'x2', 'x3']],
    ['a large', ['', 'x1', 'x2', 'x3', 'x4', 'x5', 'x6', 'x7', 'x8', 'x9', 'x10', 'x11', 'x12', 'x13', 'x14', 'x15']],
  ])('any file over %s pool of external ids and a small one of addresses gives the same result on both stores (property)', async (_, exts) => {
    const ext = fc.constantFrom(...exts);
    const email = fc.constantFrom('', 'a@example.com', 'b@example.com', 'A@EXAMPLE.com', 'c@example.com');
    const phone = fc.constantFrom('', '+4915123456789', '+447911123456');
    const name = fc.constantFrom('', 'Ann', 'Bob');
    const consent = fc.constantFrom('', 'yes', 'no');
    const attr = fc.constantFrom('', '1', 'red', '2.5');
    const row = fc.tuple(ext, email, phone, name, consent, attr).map((cells) => cells.join(','));
    const csv = fc.array(row, { minLength: 1, maxLength: 12 }).map((rows) => `id,email,phone,first_name,newsletter,colour\n${rows.join('\n')}\n`);
    await fc.assert(
      fc.asyncProperty(fc.array(csv, { minLength: 1, maxLength: 3 }), async (imports) => {
        await clear();
        for (const [i, content] of imports.entries()) await both(content, { now: new Date(T0.getTime() + i * 1000) });
      }),
      { numRuns: 40 },
    );
  });
});

describe.skipIf(!pgDb)('import contract: suppress import, SQLite and PostgreSQL', () => {
  async function bothSuppress(content: string, opts: { channel?: string; reason?: string } = {}) {
    const f = file(content);
    const run = (repos: Repositories) => outcome(() => importSuppressions(repos.imports, { file: f, now: T0.getTime(), ...opts }));
    const a = await run(sqlite);
    const b = await run(postgres!);
    expect(b).toEqual(a);
    expect(await postgres!.suppressions.list()).toEqual(await sqlite.suppressions.list());
    return a;
  }

  it('adds, keeps the first reason of an address twice, counts those already there; a bad row writes nothing', async () => {
    expect(await bothSuppress('address,reason\nAnn@Example.com,bounced\nann@example.com,complained\nbob@example.com,\n', { channel: 'email' })).toEqual({
      ok: true,
      result: { read: 3, added: 2, already: 1 },
    });
    expect(await bothSuppress('email,phone,channel\nbob@example.com,,\n,+4915123456789,sms\n')).toEqual({ ok: true, result: { read: 2, added: 1, already: 1 } });
    const bad = await bothSuppress('address,channel\ncy@example.com,email\nnot-an-address,email\n');
    expect(bad).toMatchObject({ ok: false, code: 'import_invalid', message: expect.stringContaining(':3:') });
    expect((await postgres!.suppressions.list()).map((s) => s.address)).not.toContain('cy@example.com');
  });
});
