/**
 * The ids a PostgreSQL import gives new customers. When every row of a file is a new customer
 * (a first import), the import numbers them itself (db/pg/import-store.ts, `numbered`) instead
 * of inserting them in file order through the identity; the ids must be exactly those: the
 * identity's next values, in file order, with the identity moved on past them, so that the next
 * import or `customers add` continues after them. A role that may not set the sequence (README's
 * runtime role, USAGE only) takes the general path and gets the same ids.
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

const pgDb = await pgTestDatabase('import_ids');
const role = `mkt_import_ids_${process.pid}`;
const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-import-ids-'));
let postgres: Repositories;
let sql: pg.Client;

beforeAll(async () => {
  if (!pgDb) return;
  postgres = await openRepositories({ kind: 'postgres', url: pgDb.url });
  sql = new pg.Client({ connectionString: pgDb.url });
  await sql.connect();
});
afterAll(async () => {
  await postgres?.close();
  await sql?.end();
  await pgDb?.drop();
  if (pgDb) await dropTestRoles(role);
  rmSync(dir, { recursive: true, force: true });
});

const now = new Date('2026-01-01T00:00:00Z');
let files = 0;
function csv(lines: string[]): string {
  const file = path.join(dir, `f${++files}.csv`);
  writeFileSync(file, ['id,email,first_name', ...lines].join('\n') + '\n');
  return file;
}
/** external id → id, in id order. */
async function ids(): Promise<Array<[string, number]>> {
  const r = await sql.query<{ external_id: string; id: string }>('SELECT external_id, id FROM customers ORDER BY id');
  return r.rows.map((x) => [x.external_id, Number(x.id)]);
}
const identity = async () => Number((await sql.query<{ v: string }>(`SELECT last_value AS v FROM customers_id_seq`)).rows[0]!.v);

describe.skipIf(!pgDb)('PostgreSQL import: the ids of new customers', () => {
  it('a file of new customers gets the identity’s next ids in file order, and the identity moves on past them', async () => {
    const first = await importCustomers(postgres.imports, { file: csv(['c3,c3@example.com,C', 'c1,c1@example.com,A', ',x@example.com,X', 'c2,,B']), now });
    expect(first).toMatchObject({ read: 4, inserted: 4 });
    expect(await ids()).toEqual([['c3', 1], ['c1', 2], [null, 3], ['c2', 4]]);
    expect(await identity()).toBe(4);

    // a rejected line takes no id; a dry run takes ids and gives them back to nobody, as inserting does
    await importCustomers(postgres.imports, { file: csv(['c9,c9@example.com,D']), now, dryRun: true });
    expect(await identity()).toBe(5);
    const second = await importCustomers(postgres.imports, { file: csv(['c4,c4@example.com,E', ',not-an-email,', 'c5,,F']), now });
    expect(second).toMatchObject({ inserted: 2, rejected: 1 });
    expect((await ids()).slice(4)).toEqual([['c4', 6], ['c5', 7]]);

    // the general path (a row updates c1): new ones continue after the numbered ones, in file order
    const third = await importCustomers(postgres.imports, { file: csv(['c6,c6@example.com,G', 'c1,c1@example.com,A2', 'c7,,H']), now });
    expect(third).toMatchObject({ inserted: 2, updated: 1 });
    expect((await ids()).slice(6)).toEqual([['c6', 8], ['c7', 9]]);
    expect(await identity()).toBe(9);
  });

  it('a role that may not set the sequence (README’s runtime role) gets the same ids through the general path', async () => {
    const before = await identity();
    await sql.query(`CREATE ROLE ${role} LOGIN PASSWORD 'import_ids_test_pw'`);
    await sql.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
    await sql.query(`GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role}`);
    await sql.query(`GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
    const url = new URL(pgDb!.url);
    url.username = role;
    url.password = 'import_ids_test_pw';
    const app = await openRepositories({ kind: 'postgres', url: url.toString() });
    try {
      const r = await importCustomers(app.imports, { file: csv(['c10,c10@example.com,I', 'c11,,J']), now });
      expect(r).toMatchObject({ inserted: 2 });
    } finally {
      await app.close();
    }
    expect((await ids()).slice(-2)).toEqual([['c10', before + 1], ['c11', before + 2]]);
    expect(await identity()).toBe(before + 2);
  });
});
