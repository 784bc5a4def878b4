/**
 * `db copy` both ways: SQLite → PostgreSQL → SQLite gives back the same rows, whatever they
 * hold (fast-check: gappy ids, unicode text, doubles, epoch-ms times, opt-in booleans, JSON
 * attributes, blobs), `sqlite_sequence` included (the next id comes after the copied ones). The
 * way back refuses a non-empty file unless `replace`, and leaves the file as it was when a row
 * is refused mid-copy.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { COPIED_TABLES, copySqliteToPg } from '../../../src/db/pg/copy.js';
import { copyPgToSqlite } from '../../../src/db/pg/copy-to-sqlite.js';
import { openPgStore } from '../../../src/db/pg/open.js';
import { openStore, type Store } from '../../../src/db/open.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('copy_back');
const dir = mkdtempSync(path.join(tmpdir(), 'mkt-copy-back-'));
afterAll(async () => {
  await pgDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 0, 1);
/** PostgreSQL's text holds no NUL; anything else goes. */
const text = fc.string({ unit: 'grapheme', maxLength: 12 }).filter((s) => !s.includes('\u0000'));
const nullable = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: null });
const ms = fc.integer({ min: 0, max: Date.UTC(2100, 0, 1) });
const json: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small' }, text, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.constant(null), tie('array'), tie('object')),
  array: fc.array(tie('value'), { maxLength: 3 }),
  object: fc.dictionary(text, tie('value'), { maxKeys: 4 }),
})).value;

const customerRow = fc.record({
  external_id: nullable(text),
  email: nullable(text),
  phone: nullable(text),
  first_name: nullable(text),
  lifetime_value: nullable(fc.double({ noNaN: true, noDefaultInfinity: true })),
  order_count: nullable(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 })),
  last_order_at: nullable(ms),
  created_at: ms,
  email_opt_in: fc.boolean(),
  sms_opt_in: fc.boolean(),
  attributes: fc.dictionary(text, json, { maxKeys: 4 }),
});

const workspace = fc.record({
  // ids with gaps (deleted rows), so the copy must keep them rather than renumber
  customers: fc.uniqueArray(fc.tuple(fc.integer({ min: 1, max: 10_000 }), customerRow), { selector: ([id]) => id, maxLength: 25 }),
  suppressions: fc.uniqueArray(fc.tuple(fc.constantFrom('email', 'sms', 'whatsapp'), text, text), { selector: ([c, a]) => `${c}\u0001${a}`, maxLength: 10 }),
  key: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  seen: fc.uniqueArray(fc.uint8Array({ minLength: 1, maxLength: 16 }), { selector: (d) => Buffer.from(d).toString('hex'), maxLength: 10 }),
});
type Workspace = typeof workspace extends fc.Arbitrary<infer W> ? W : never;

function fill(store: Store, w: Workspace): void {
  const { sqlite } = store;
  // unique external ids (the index): the generated one, or none where it repeats
  const used = new Set<string>();
  const insert = sqlite.prepare(
    `INSERT INTO customers (id, external_id, email, phone, first_name, lifetime_value, order_count, last_order_at, created_at, email_opt_in, sms_opt_in, attributes, updated_at)
     VALUES (@id, @external_id, @email, @phone, @first_name, @lifetime_value, @order_count, @last_order_at, @created_at, @email_opt_in, @sms_opt_in, @attributes, @created_at)`,
  );
  for (const [id, c] of w.customers) {
    const externalId = c.external_id !== null && !used.has(c.external_id) ? c.external_id : null;
    if (externalId !== null) used.add(externalId);
    insert.run({ ...c, id, external_id: externalId, email_opt_in: c.email_opt_in ? 1 : 0, sms_opt_in: c.sms_opt_in ? 1 : 0, attributes: JSON.stringify(c.attributes) });
  }
  const sup = sqlite.prepare(`INSERT INTO suppressions (channel, address, reason, source, created_at) VALUES (?, ?, 'manual', ?, ?)`);
  for (const [channel, address, source] of w.suppressions) sup.run(channel, address, source, T0);
  sqlite.prepare(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (7, 'spring', 'email', 'everyone', 'outbox', 't', ?, ?)`).run(T0, T0);
  sqlite.prepare('INSERT INTO engagement_keys (campaign_id, key, created_at) VALUES (7, ?, ?)').run(Buffer.from(w.key), T0);
  const seen = sqlite.prepare(`INSERT INTO engagement_seen (campaign_id, kind, link_id, machine, digest) VALUES (7, 'click', 0, 0, ?)`);
  for (const d of w.seen) seen.run(Buffer.from(d));
}

/** Every copied table's rows, comparable: blobs as hex, JSON text parsed, in a stable order; and the id counters. */
function dump(store: Store): Record<string, unknown> {
  const { sqlite } = store;
  const rows = Object.fromEntries(
    COPIED_TABLES.map((t) => [
      t,
      (sqlite.prepare(`SELECT * FROM ${t}`).all() as Array<Record<string, unknown>>)
        .map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : k === 'attributes' ? JSON.parse(v as string) : v])))
        .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ]),
  );
  const seq = sqlite.prepare(`SELECT name, seq FROM sqlite_sequence WHERE seq > 0 ORDER BY name`).all();
  return { ...rows, sqlite_sequence: seq };
}

describe.skipIf(!pgDb)('db copy PostgreSQL → SQLite', () => {
  let n = 0;
  const file = () => path.join(dir, `w${++n}.db`);

  it('SQLite → PostgreSQL → SQLite gives back the same rows and id counters', async () => {
    const pg = await openPgStore(pgDb!.url, { max: 2 });
    try {
      await fc.assert(
        fc.asyncProperty(workspace, async (w) => {
          const a = openStore(file());
          const b = openStore(file());
          try {
            fill(a, w);
            const up = await copySqliteToPg(a, pg, { replace: true, sourceName: 'a', targetName: 'pg' });
            const down = await copyPgToSqlite(pg, b, { sourceName: 'pg', targetName: 'b' });
            expect(down.tables).toEqual(up.tables);
            expect(down).toMatchObject({ replaced: false, total: up.total });
            expect(dump(b)).toEqual(dump(a));
          } finally {
            a.close();
            b.close();
          }
        }),
        { numRuns: 15 },
      );
    } finally {
      await pg.close();
    }
  });

  it('refuses a non-empty file unless replace; a row the file refuses rolls the whole copy back', async () => {
    const pg = await openPgStore(pgDb!.url, { max: 2 });
    const a = openStore(file());
    const b = openStore(file());
    try {
      fill(a, { customers: [[3, { external_id: 'x', email: 'x@example.com', phone: null, first_name: null, lifetime_value: 1.5, order_count: 2, last_order_at: T0, created_at: T0, email_opt_in: true, sms_opt_in: false, attributes: { a: [1] } }]], suppressions: [['email', 'gone@example.com', 'ses']], key: new Uint8Array(32), seen: [] });
      await copySqliteToPg(a, pg, { replace: true, sourceName: 'a', targetName: 'pg' });
      b.sqlite.prepare(`INSERT INTO suppressions (channel, address, reason, created_at) VALUES ('sms', '+15550100', 'manual', ?)`).run(T0);
      const before = dump(b);
      await expect(copyPgToSqlite(pg, b, { sourceName: 'pg', targetName: 'b' })).rejects.toMatchObject({ code: 'copy_target_not_empty', category: 'usage' });
      expect(dump(b)).toEqual(before);

      // a suppression the SQLite file's unique index refuses, after customers and campaigns went in
      await pg.pool.query('DROP INDEX suppressions_channel_address_uq');
      await pg.pool.query(`INSERT INTO suppressions (channel, address, reason, created_at) VALUES ('email', 'gone@example.com', 'manual', ${T0})`);
      await expect(copyPgToSqlite(pg, b, { replace: true, sourceName: 'pg', targetName: 'b' })).rejects.toMatchObject({ code: 'copy_failed', category: 'input' });
      expect(dump(b)).toEqual(before);

      await pg.pool.query('DELETE FROM suppressions WHERE id = (SELECT max(id) FROM suppressions)');
      const r = await copyPgToSqlite(pg, b, { replace: true, sourceName: 'pg', targetName: 'b' });
      expect(r).toMatchObject({ replaced: true, tables: { customers: 1, suppressions: 1, campaigns: 1, engagement_keys: 1 } });
      expect(dump(b)).toEqual(dump(a));
    } finally {
      a.close();
      b.close();
      await pg.close();
    }
  });
});
