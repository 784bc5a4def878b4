/**
 * Which staged rows of a PostgreSQL import need file order (db/pg/import-store.ts,
 * `dependents`): only those are handed back to be merged row by row in memory; every other row
 * is written set-based. The results are the same either way (the import contract suite holds
 * them to SQLite's); this holds the split itself, which is what makes a large file fast.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { CUSTOMER_INPUT_COLUMNS } from '../../../src/db/customer-columns.js';
import { openRepositories } from '../../../src/db/connect.js';
import type { ImportStaging } from '../../../src/db/import-store.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('import_dependents');
afterAll(async () => {
  await pgDb?.drop();
});

type Row = { ext?: string; email?: string; phone?: string };
/** A staged row's values: CUSTOMER_INPUT_COLUMNS, then the attributes (none). */
const values = (r: Row) => [...CUSTOMER_INPUT_COLUMNS.map((c) => (c === 'external_id' ? r.ext : c === 'email' ? r.email : c === 'phone' ? r.phone : null) ?? null), null];

/** The lines of `rows` (line = index + 2) that `dependents` hands back, on an empty store. */
async function dependentLines(rows: Row[]): Promise<number[]> {
  const repos = await openRepositories({ kind: 'postgres', url: pgDb!.url });
  try {
    return await repos.imports.customers(async (session) => {
      const staging = (session as { staging: ImportStaging }).staging;
      rows.forEach((r, i) => staging.add(values(r), i + 2));
      return (await staging.dependents()).rows.map((r) => r.line);
    }, false);
  } finally {
    await repos.close();
  }
}

describe.skipIf(!pgDb)('PostgreSQL import: the rows that need file order', () => {
  it('a phone or email shared only by rows with external ids of their own links nothing', async () => {
    expect(
      await dependentLines([
        { ext: 'a', email: 'a@example.com', phone: '+447911123456' },
        { ext: 'b', email: 'b@example.com', phone: '+447911123456' },
        { ext: 'c', email: 'shared@example.com' },
        { ext: 'd', email: 'shared@example.com' },
      ]),
    ).toEqual([]);
  });

  it('one row without an external id makes the whole group depend on file order; so does a shared external id', async () => {
    expect(
      await dependentLines([
        { ext: 'a', phone: '+447911123456' },
        { phone: '+447911123456' },
        { ext: 'b', phone: '+447911123456' },
        { ext: 'c', email: 'shared@example.com' },
        { email: 'shared@example.com' },
        { ext: 'x', email: 'x1@example.com' },
        { ext: 'x', email: 'x2@example.com' },
        { ext: 'y', email: 'alone@example.com' },
      ]),
    ).toEqual([2, 3, 4, 5, 6, 7, 8]);
  });
});
