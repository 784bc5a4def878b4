/**
 * A PostgreSQL import that at least doubles the customers (10,000 new ones or more) builds the
 * table's secondary indexes once after the insert instead of updating them row by row
 * (db/pg/import-store.ts, `dropIndexesForLoad`). The customers and the summary are SQLite's, the
 * indexes come back exactly as the migrations made them, and a dry run, a smaller import, one
 * while another connection reads customers, or one by a role that does not own the table (README's
 * runtime role) leaves them alone.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importCustomers } from '../../../src/customers/import/index.js';
import { openRepositories } from '../../../src/db/connect.js';
import type { Repositories } from '../../../src/db/repositories.js';
import { dropTestRoles, pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('import_indexes');
/** README's runtime role, made for this file: its privileges go with the database, then it is dropped. */
const role = `mkt_import_app_${process.pid}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-import-indexes-'));
let sqlite: Repositories;
let postgres: Repositories;
let sql: pg.Client;

beforeAll(async () => {
  if (!pgDb) return;
  sqlite = await openRepositories({ kind: 'sqlite', path: ':memory:' });
  postgres = await openRepositories({ kind: 'postgres', url: pgDb.url });
  sql = new pg.Client({ connectionString: pgDb.url });
  await sql.connect();
});
afterAll(async () => {
  await sqlite?.close();
  await postgres?.close();
  await sql?.end();
  await pgDb?.drop();
  if (pgDb) await dropTestRoles(role);
  rmSync(dir, { recursive: true, force: true });
});

const T0 = new Date('2026-01-01T00:00:00Z');
/** `n` customers from `from` on (first names `tag` and a digit); every 7th shares a phone with the one before (own customer ids), every 5th gives no email. */
function csv(name: string, from: number, n: number, tag = 'N'): string {
  const lines = ['id,email,phone,first_name,newsletter,plan'];
  for (let i = from; i < from + n; i++) {
    const phone = `+4915123${String(i - (i % 7 === 0 ? 1 : 0)).padStart(6, '0')}`;
    lines.push(`c${i},${i % 5 ? `p${i}@example.com` : ''},${phone},${tag}${i % 10},${i % 2 ? 'yes' : 'no'},${['free', 'pro'][i % 2]}`);
  }
  const file = path.join(dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

/** The customers table's indexes: name → definition and the object it lives in (a rebuild makes a new one). */
async function indexes(): Promise<Map<string, { ddl: string; oid: number }>> {
  const r = await sql.query<{ name: string; ddl: string; oid: number }>(
    `SELECT i.relname AS name, pg_get_indexdef(i.oid) AS ddl, i.oid::int AS oid FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
     WHERE x.indrelid = 'customers'::regclass ORDER BY i.relname`,
  );
  return new Map(r.rows.map((x) => [x.name, { ddl: x.ddl, oid: x.oid }]));
}
const ddls = (m: Map<string, { ddl: string }>) => [...m].map(([name, { ddl }]) => [name, ddl]);
const oids = (m: Map<string, { oid: number }>) => [...m].map(([name, { oid }]) => [name, oid]);

async function both(file: string, dryRun = false) {
  const a = await importCustomers(sqlite.imports, { file, now: T0, dryRun });
  const b = await importCustomers(postgres.imports, { file, now: T0, dryRun });
  expect(b).toEqual(a);
  const rows = async (repos: Repositories) => (await repos.customers.list(100_000)).map(({ id: _id, ...c }) => ({ ...c, attributes: JSON.parse(c.attributes) as unknown }));
  expect(await rows(postgres)).toEqual(await rows(sqlite));
  return a;
}

describe.skipIf(!pgDb)('PostgreSQL import: a load that doubles the customers rebuilds their indexes', () => {
  it('same customers and summary as SQLite; the secondary indexes rebuilt as they were, the primary key kept; smaller loads, dry runs, loads while someone reads and loads by the runtime role touch none', async () => {
    const migrated = await indexes();
    expect([...migrated.keys()]).toEqual(['customers_email_idx', 'customers_external_id_uq', 'customers_phone_idx', 'customers_pkey']);

    // a dry run of a large load: rolled back, the same index objects
    expect((await both(csv('big.csv', 1, 12_000), true)).inserted).toBe(12_000);
    expect(oids(await indexes())).toEqual(oids(migrated));

    expect((await both(csv('big.csv', 1, 12_000))).inserted).toBe(12_000);
    const loaded = await indexes();
    expect(ddls(loaded)).toEqual(ddls(migrated));
    for (const name of ['customers_email_idx', 'customers_external_id_uq', 'customers_phone_idx']) expect(loaded.get(name)!.oid).not.toBe(migrated.get(name)!.oid);
    expect(loaded.get('customers_pkey')!.oid).toBe(migrated.get('customers_pkey')!.oid);
    // the rebuilt unique index still holds
    await expect(sql.query(`INSERT INTO customers (external_id, created_at, updated_at) VALUES ('c1', 0, 0)`)).rejects.toThrow(/customers_external_id_uq/);

    // a large load while someone reads customers: no waiting for that reader (its transaction
    // might go on to write customers: a deadlock), the rows go in with the indexes
    await sql.query('TRUNCATE customers');
    await sqlite.customers.insert([], { replace: true });
    const reader = new pg.Client({ connectionString: pgDb!.url });
    await reader.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM customers');
      expect((await both(csv('big.csv', 1, 12_000))).inserted).toBe(12_000);
      expect(oids(await indexes())).toEqual(oids(loaded));
    } finally {
      await reader.query('ROLLBACK');
      await reader.end();
    }

    // README's runtime role (DML grants, not the owner) cannot drop the indexes: it loads with them
    const database = new URL(pgDb!.url).pathname.slice(1);
    await sql.query(`CREATE ROLE ${role} LOGIN PASSWORD 'import_test_only'`);
    const app = new URL(pgDb!.url);
    app.username = role;
    app.password = 'import_test_only';
    let runtime: Repositories | undefined;
    try {
      for (const grant of [
        `GRANT CONNECT, TEMP ON DATABASE ${database} TO ${role}`,
        `GRANT USAGE ON SCHEMA public TO ${role}`,
        `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`,
        `GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`,
      ])
        await sql.query(grant);
      await sql.query('TRUNCATE customers');
      await sqlite.customers.insert([], { replace: true });
      runtime = await openRepositories({ kind: 'postgres', url: app.toString() });
      const file = csv('big.csv', 1, 12_000);
      const a = await importCustomers(sqlite.imports, { file, now: T0 });
      expect(await importCustomers(runtime.imports, { file, now: T0 })).toEqual(a);
      expect(oids(await indexes())).toEqual(oids(loaded));
    } finally {
      await runtime?.close();
    }

    // 11,000 more (half of them updates) on 12,000 stored: not a doubling, the indexes stay
    const r = await both(csv('more.csv', 6_001, 11_000, 'M'));
    expect(r).toMatchObject({ inserted: 5_000, updated: 6_000 });
    expect(oids(await indexes())).toEqual(oids(loaded));
  });
});
