/**
 * Imports on PostgreSQL (../import-store.ts). A customers import COPYs the file's rows into a
 * TEMP staging table as they are read, then decides and writes set-based:
 *  1. candidates: every stored customer that shares an external id, email or phone with a row
 *     (three hash joins);
 *  2. dependents: the rows that share an identity with another row of the file, or a candidate
 *     with another row: only these can see what another line wrote, so only these need file
 *     order; the caller merges them as row by row (src/customers/import/upsert.ts, in memory)
 *     and hands their final rows back;
 *  3. every other row is resolved against the stored customers by the import's precedence
 *     (external id, else the lowest-id email match, else the lowest-id phone match, an email or
 *     phone match only when the external ids do not differ) and merged in SQL: the row's values
 *     over the stored ones, attributes key by key (`||`), written only when something changed;
 *  4. ONE statement writes it all: an UPDATE of the changed customers and an INSERT … SELECT of
 *     the new ones in file order (so ids come in the order SQLite gives them).
 * Suppressions go in batches of one INSERT … SELECT FROM unnest … ON CONFLICT DO NOTHING.
 */
import { getTableConfig } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { CUSTOMER_DATA_COLUMNS, CUSTOMER_INPUT_COLUMNS, type StoredCustomer } from '../customer-columns.js';
import { WRITE_COLUMNS, type CustomerValues } from '../customers-writer.js';
import type { ImportStaging, ImportStore, StagedRow } from '../import-store.js';
import { addressHash } from '../../util/address-hash.js';
import { CopyIn, copyValue } from './copy-stream.js';
import type { PgStore } from './open.js';
import { customers } from './schema.js';
import { inTransaction } from './transaction.js';

const TYPE = Object.fromEntries(getTableConfig(customers).columns.map((c) => [c.name, c.getSQLType()])) as Record<string, string>;
const isBoolean = (c: string) => TYPE[c] === 'boolean';

const ROWS = 'mkt_import_rows';
const FINAL = 'mkt_import_final';
/**
 * The staging table: the reader's values as they come (attributes as the reader's JSON text),
 * numbered in file order (`seq`: several JSON records may start on one line).
 */
const ROW_COLUMNS = ['seq', 'line', ...CUSTOMER_INPUT_COLUMNS, 'attributes'];
const FINAL_COLUMNS = ['seq', 'id', ...WRITE_COLUMNS];
/** Rows per COPY chunk. */
const CHUNK = 500;

/** A rolled-back dry run carries its result out of the transaction. */
class RolledBack extends Error {
  constructor(readonly result: unknown) {
    super('dry run: rolled back');
  }
}

export function pgImportStore(store: PgStore): ImportStore {
  const { pool } = store;
  return {
    forgotten: async () => {
      const hashes = new Set((await pool.query<{ hash: string }>('SELECT hash FROM forgotten_addresses')).rows.map((r) => r.hash));
      return { has: (kind, address) => hashes.size > 0 && typeof address === 'string' && hashes.has(addressHash(kind, address)) };
    },
    customers: async (body, keep) => {
      try {
        return await inTransaction(pool, async (client) => {
          const staging = await PgStaging.create(client);
          try {
            const result = await body({ kind: 'postgres', staging });
            if (!keep) throw new RolledBack(result);
            return result;
          } finally {
            await staging.abort();
          }
        });
      } catch (e) {
        if (e instanceof RolledBack) return e.result as never;
        throw e;
      }
    },
    suppressions: (body) =>
      inTransaction(pool, (client) =>
        body(async (rows, now) => {
          if (rows.length === 0) return 0;
          const col = (f: (r: (typeof rows)[number]) => unknown) => rows.map(f);
          // first of a batch wins, as row by row: unnest keeps the order, ON CONFLICT skips the later ones
          const r = await client.query(
            `INSERT INTO suppressions (channel, address, reason, source, note, created_at)
             SELECT u.channel, u.address, u.reason, u.source, u.note, $6::bigint
             FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) WITH ORDINALITY AS u(channel, address, reason, source, note, n)
             ORDER BY u.n
             ON CONFLICT (channel, address) DO NOTHING`,
            [col((s) => s.channel), col((s) => s.address), col((s) => s.reason), col((s) => s.source), col((s) => s.note ?? null), now],
          );
          return r.rowCount ?? 0;
        }),
      ),
  };
}

const columnsDdl = (names: readonly string[], override: Record<string, string>) => names.map((c) => `${c} ${override[c] ?? TYPE[c]}`).join(', ');
const copyLine = (cells: readonly unknown[], columns: readonly string[]) => cells.map((v, i) => copyValue(v, isBoolean(columns[i]!))).join('\t') + '\n';

class PgStaging implements ImportStaging {
  private queued: string[] = [];
  private seq = 0;
  private copy: CopyIn;

  private constructor(private readonly client: pg.PoolClient) {
    this.copy = new CopyIn(client, ROWS, ROW_COLUMNS);
  }

  static async create(client: pg.PoolClient): Promise<PgStaging> {
    await client.query(`CREATE TEMP TABLE ${ROWS} (${columnsDdl(ROW_COLUMNS, { seq: 'integer PRIMARY KEY', line: 'integer', attributes: 'text' })}) ON COMMIT DROP`);
    return new PgStaging(client);
  }

  add(values: readonly unknown[], line: number): void {
    this.queued.push(copyLine([++this.seq, line, ...values], ROW_COLUMNS));
  }

  async flush(): Promise<void> {
    const chunk = this.queued.join('');
    this.queued = [];
    await this.copy.write(chunk);
  }

  async abort(): Promise<void> {
    await this.copy.abort();
  }

  async dependents(): Promise<{ rows: StagedRow[]; customers: StoredCustomer[]; nextId: number }> {
    await this.flush();
    await this.copy.end();
    const q = (text: string) => this.client.query(text);
    // a TEMP table has no statistics until analysed: without them the joins below are planned for a handful of rows
    await q(`ANALYZE ${ROWS}`);
    await q(`CREATE TEMP TABLE mkt_import_cand ON COMMIT DROP AS
      SELECT s.seq, c.id FROM ${ROWS} s JOIN customers c ON c.external_id = s.external_id
      UNION SELECT s.seq, c.id FROM ${ROWS} s JOIN customers c ON c.email = s.email
      UNION SELECT s.seq, c.id FROM ${ROWS} s JOIN customers c ON c.phone = s.phone`);
    const shared = (col: string, table = ROWS) => `SELECT seq FROM (SELECT seq, count(*) OVER (PARTITION BY ${col}) AS n FROM ${table} WHERE ${col} IS NOT NULL) x WHERE n > 1`;
    await q(`CREATE TEMP TABLE mkt_import_dep ON COMMIT DROP AS
      ${shared('external_id')} UNION ${shared('email')} UNION ${shared('phone')} UNION ${shared('id', 'mkt_import_cand')}`);
    await q('ALTER TABLE mkt_import_dep ADD PRIMARY KEY (seq)');
    const asNumber = (c: string) => (isBoolean(c) ? `${c}::int AS ${c}` : c);
    const rows = await this.client.query({
      text: `SELECT ${ROW_COLUMNS.map(asNumber).join(', ')} FROM ${ROWS} WHERE seq IN (SELECT seq FROM mkt_import_dep) ORDER BY seq`,
      rowMode: 'array',
    });
    const stored = await this.client.query<StoredCustomer & { attributes: unknown }>(
      `SELECT id, ${[...CUSTOMER_DATA_COLUMNS, 'updated_at'].map(asNumber).join(', ')} FROM customers
       WHERE id IN (SELECT k.id FROM mkt_import_cand k JOIN mkt_import_dep d ON d.seq = k.seq) ORDER BY id`,
    );
    const next = await this.client.query<{ n: number }>('SELECT coalesce(max(id), 0) + 1 AS n FROM customers');
    return {
      rows: (rows.rows as unknown[][]).map(([seq, line, ...values]) => ({ seq: seq as number, line: line as number, values })),
      // JSON text in the form the merge writes (JSON.stringify), so re-merging equal values compares equal
      customers: stored.rows.map((c) => ({ ...c, attributes: JSON.stringify(c.attributes) })),
      nextId: Number(next.rows[0]!.n),
    };
  }

  async write(final: { inserts: Array<{ seq: number; values: CustomerValues }>; updates: Array<{ id: number; values: CustomerValues }> }, now: number) {
    const q = (text: string, values?: unknown[]) => this.client.query(text, values);
    await q(`CREATE TEMP TABLE ${FINAL} (${columnsDdl(FINAL_COLUMNS, { seq: 'integer', id: 'bigint' })}) ON COMMIT DROP`);
    const copy = new CopyIn(this.client, FINAL, FINAL_COLUMNS);
    try {
      const lines = [
        ...final.inserts.map((r) => copyLine([r.seq, null, ...r.values], FINAL_COLUMNS)),
        ...final.updates.map((r) => copyLine([0, r.id, ...r.values], FINAL_COLUMNS)),
      ];
      for (let i = 0; i < lines.length; i += CHUNK) await copy.write(lines.slice(i, i + CHUNK).join(''));
      await copy.end();
    } finally {
      await copy.abort();
    }

    const independent = `NOT EXISTS (SELECT 1 FROM mkt_import_dep d WHERE d.seq = s.seq)`;
    // the import's precedence: external id, else the lowest-id email match, else the lowest-id
    // phone match; an email or phone match only when the external ids do not differ
    await q(`CREATE TEMP TABLE mkt_import_match ON COMMIT DROP AS
      SELECT DISTINCT ON (k.seq) k.seq, c.id FROM mkt_import_cand k
      JOIN ${ROWS} s ON s.seq = k.seq JOIN customers c ON c.id = k.id
      WHERE ${independent} AND (c.external_id = s.external_id
        OR ((s.external_id IS NULL OR c.external_id IS NULL) AND (c.email = s.email OR c.phone = s.phone)))
      ORDER BY k.seq, CASE WHEN c.external_id = s.external_id THEN 1 WHEN c.email = s.email THEN 2 ELSE 3 END, c.id`);
    const matched = Number((await this.client.query<{ n: number }>('SELECT count(*) AS n FROM mkt_import_match')).rows[0]!.n);

    const given = (c: string) => `s.${c}`;
    const newValue = (c: string) =>
      c === 'created_at' ? `coalesce(s.created_at, $1::bigint)` : isBoolean(c) ? `coalesce(${given(c)}, false)` : given(c);
    const inserted = await q(
      `INSERT INTO ${FINAL} (${FINAL_COLUMNS.join(', ')})
       SELECT s.seq, NULL, ${CUSTOMER_INPUT_COLUMNS.map(newValue).join(', ')}, coalesce(s.attributes::jsonb, '{}'::jsonb), $1::bigint
       FROM ${ROWS} s WHERE ${independent} AND NOT EXISTS (SELECT 1 FROM mkt_import_match m WHERE m.seq = s.seq)`,
      [now],
    );
    // the row's values over the stored ones; attributes key by key (stored ones that are not an object are replaced)
    const merged = CUSTOMER_INPUT_COLUMNS.map((c) => `coalesce(s.${c}, c.${c})`);
    const attributes = `CASE WHEN s.attributes IS NULL THEN c.attributes WHEN jsonb_typeof(c.attributes) = 'object' THEN c.attributes || s.attributes::jsonb ELSE s.attributes::jsonb END`;
    const updated = await q(
      `INSERT INTO ${FINAL} (${FINAL_COLUMNS.join(', ')})
       SELECT seq, id, ${CUSTOMER_DATA_COLUMNS.join(', ')}, $1::bigint FROM (
         SELECT s.seq, c.id, ${merged.map((m, i) => `${m} AS ${CUSTOMER_INPUT_COLUMNS[i]}`).join(', ')}, ${attributes} AS attributes,
                ${CUSTOMER_DATA_COLUMNS.map((c) => `c.${c} AS was_${c}`).join(', ')}
         FROM mkt_import_match m JOIN ${ROWS} s ON s.seq = m.seq JOIN customers c ON c.id = m.id) x
       WHERE ${CUSTOMER_DATA_COLUMNS.map((c) => `${c} IS DISTINCT FROM was_${c}`).join(' OR ')}`,
      [now],
    );

    const set = WRITE_COLUMNS.map((c) => `${c} = f.${c}`).join(', ');
    await q(`WITH changed AS (UPDATE customers c SET ${set} FROM ${FINAL} f WHERE f.id IS NOT NULL AND c.id = f.id RETURNING c.id)
      INSERT INTO customers (${WRITE_COLUMNS.join(', ')}) SELECT ${WRITE_COLUMNS.join(', ')} FROM ${FINAL} WHERE id IS NULL ORDER BY seq`);
    const nUpdated = updated.rowCount ?? 0;
    return { inserted: inserted.rowCount ?? 0, updated: nUpdated, unchanged: matched - nUpdated };
  }
}
