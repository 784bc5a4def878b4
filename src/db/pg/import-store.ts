/**
 * Imports on PostgreSQL (../import-store.ts). A customers import COPYs the file's rows into a
 * TEMP staging table as they are read, then decides and writes set-based:
 *  1. candidates: every stored customer that shares an external id, email or phone with a row
 *     (three hash joins);
 *  2. dependents: the rows that share an identity with another row of the file (an email or
 *     phone only when one of the rows sharing it has no external id; looked for only among the
 *     rows whose values a Bloom filter saw twice while staging), or a candidate with another
 *     row: only these can see what another line wrote, so only these need file order; the
 *     caller merges them as row by row (src/customers/import/upsert.ts, in memory) and hands
 *     their final rows back;
 *  3. every other row is resolved against the stored customers by the import's precedence
 *     (external id, else the lowest-id email match, else the lowest-id phone match, an email or
 *     phone match only when the external ids do not differ) and merged in SQL: the row's values
 *     over the stored ones, attributes key by key (`||`), written only when something changed;
 *  4. ONE statement writes it all: an UPDATE of the changed customers and an INSERT … SELECT of
 *     the new ones in file order (so ids come in the order SQLite gives them); a load that at
 *     least doubles the table builds its secondary indexes after it instead (`dropIndexesForLoad`).
 * Suppressions go in batches of one INSERT … SELECT FROM unnest … ON CONFLICT DO NOTHING.
 */
import { getTableConfig } from 'drizzle-orm/pg-core';
import type pg from 'pg';
import { CUSTOMER_DATA_COLUMNS, CUSTOMER_INPUT_COLUMNS, type StoredCustomer } from '../customer-columns.js';
import { WRITE_COLUMNS, type CustomerValues } from '../customers-writer.js';
import type { ImportStaging, ImportStore, StagedRow } from '../import-store.js';
import { InputError } from '../../errors.js';
import { addressHash } from '../../util/address-hash.js';
import { BloomFilter } from '../../util/bloom.js';
import { driverMessage } from './errors.js';
import { CopyIn, copyValue } from './copy-stream.js';
import type { PgStore } from './open.js';
import { customers } from './schema.js';
import { inTransaction } from './transaction.js';

const TYPE = Object.fromEntries(getTableConfig(customers).columns.map((c) => [c.name, c.getSQLType()])) as Record<string, string>;
const isBoolean = (c: string) => TYPE[c] === 'boolean';

const ROWS = 'mkt_import_rows';
const FINAL = 'mkt_import_final';
/**
 * The staging table: the reader's values as they come (attributes parsed into jsonb by COPY,
 * while the file is still being read, not in the statements after it), numbered in file order
 * (`seq`: several JSON records may start on one line).
 */
const ROW_COLUMNS = ['seq', 'line', ...CUSTOMER_INPUT_COLUMNS, 'attributes'];
const IDENTITY_COLUMNS = ['external_id', 'email', 'phone'] as const;
const VALUE_COLUMNS = ROW_COLUMNS.slice(2);
const FINAL_COLUMNS = ['seq', 'id', ...WRITE_COLUMNS];
/** Rows per COPY chunk. */
const CHUNK = 500;
/** New customers from which a load that at least doubles the table rebuilds its indexes (`dropIndexesForLoad`). */
const REBUILD_MIN = 10_000;
const LOCK_NOT_AVAILABLE = '55P03';
/** Staged row `s` depends on no other row of the file. */
const INDEPENDENT = `NOT EXISTS (SELECT 1 FROM mkt_import_dep d WHERE d.seq = s.seq)`;

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
          // one import writes customers at a time, and nothing else changes them between the
          // statements that resolve the rows and the one that writes them (SQLite's IMMEDIATE
          // transaction); reads (counts, prepare, sends) go on meanwhile
          await client.query('LOCK TABLE customers IN SHARE ROW EXCLUSIVE MODE');
          // the file's identities are grouped and its new customers sorted into file order in
          // memory, not in temporary files (the default 4 MB spills at a few ten thousand rows)
          await client.query("SET LOCAL work_mem = '128MB'");
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
        throw refused(e, store.url);
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

/**
 * A value PostgreSQL cannot store (SQLSTATE class 22, data exception: a NUL character, U+0000,
 * in text or in a JSON string, which SQLite keeps) is bad input for this store: exit 65,
 * nothing imported (the transaction was rolled back). Anything else goes up as it is.
 */
function refused(e: unknown, url: string): unknown {
  const code = (e as { code?: unknown }).code;
  if (typeof code !== 'string' || !code.startsWith('22')) return e;
  return new InputError('import_refused', `PostgreSQL refused a value of the file: ${driverMessage(e, url)}; nothing was imported`, {
    hint: 'PostgreSQL cannot store a NUL character (U+0000, "\\u0000" in JSON) in text; remove it from the file and run the import again',
  });
}

const columnsDdl = (names: readonly string[], override: Record<string, string>) => names.map((c) => `${c} ${override[c] ?? TYPE[c]}`).join(', ');
/** Which columns of a COPY are boolean, looked up once: a line is built per row of the file. */
const booleans = new Map<readonly string[], boolean[]>();
function copyLine(cells: readonly unknown[], columns: readonly string[]): string {
  let flags = booleans.get(columns);
  if (!flags) booleans.set(columns, (flags = columns.map(isBoolean)));
  let line = copyValue(cells[0], flags[0]);
  for (let i = 1; i < cells.length; i++) line += '\t' + copyValue(cells[i], flags[i]);
  return line + '\n';
}

class PgStaging implements ImportStaging {
  private queued: string[] = [];
  private seq = 0;
  /** Staged rows handed to the caller by `dependents`. */
  private dependent = 0;
  private copy: CopyIn;
  /**
   * Per identity column, the values that may occur on more than one row: a Bloom filter of
   * those seen, and every value it already "may have" held when a row brought it (every value
   * on two rows or more, and about 1% of the others). Only the rows holding one of them can
   * share an identity with another row, so `dependents` groups those few instead of the
   * whole file (three hash aggregates of a million groups each were 4 s of a 1M-row import).
   */
  private readonly identities = IDENTITY_COLUMNS.map((column) => ({
    column,
    slot: VALUE_COLUMNS.indexOf(column),
    seen: new BloomFilter(1 << 24),
    repeated: new Set<string>(),
  }));

  private constructor(private readonly client: pg.PoolClient) {
    this.copy = new CopyIn(client, ROWS, ROW_COLUMNS);
  }

  static async create(client: pg.PoolClient): Promise<PgStaging> {
    await client.query(`CREATE TEMP TABLE ${ROWS} (${columnsDdl(ROW_COLUMNS, { seq: 'integer PRIMARY KEY', line: 'integer' })}) ON COMMIT DROP`);
    return new PgStaging(client);
  }

  add(values: readonly unknown[], line: number): void {
    // seq and line lead every staged row (ROW_COLUMNS), the reader's values follow
    this.queued.push(`${++this.seq}\t${line}\t${copyLine(values, VALUE_COLUMNS)}`);
    for (const id of this.identities) {
      const v = values[id.slot];
      if (typeof v === 'string' && id.seen.addAndCheck(v)) id.repeated.add(v);
    }
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
    // no ANALYZE: a table never analysed is planned from its size on disk, which is what the joins need
    await q(`CREATE TEMP TABLE mkt_import_cand ON COMMIT DROP AS
      SELECT s.seq, c.id FROM ${ROWS} s JOIN customers c ON c.external_id = s.external_id
      UNION SELECT s.seq, c.id FROM ${ROWS} s JOIN customers c ON c.email = s.email
      UNION SELECT s.seq, c.id FROM ${ROWS} s JOIN customers c ON c.phone = s.phone`);
    // the rows holding a value that may be on another row too (`identities`): every other value
    // is on one row only, so grouping these rows finds exactly the groups the whole file has
    // (`<column>_repeated`: the row's value in that column is one of its repeated ones; a shared
    // phone brings rows whose external ids are all unique, and those are not grouped again)
    const maybe = this.identities.filter((id) => id.repeated.size > 0);
    const repeated = (col: string) => {
      const i = maybe.findIndex((id) => id.column === col);
      return i < 0 ? 'false' : `${col} = ANY($${i + 1}::text[])`;
    };
    await this.client.query(
      `CREATE TEMP TABLE mkt_import_maybe ON COMMIT DROP AS
       SELECT seq, ${IDENTITY_COLUMNS.join(', ')}, ${IDENTITY_COLUMNS.map((c) => `${repeated(c)} AS ${c}_repeated`).join(', ')} FROM ${ROWS}
       WHERE ${IDENTITY_COLUMNS.map(repeated).join(' OR ')}`,
      maybe.map((id) => [...id.repeated]),
    );
    // hash aggregates, not sorts: nearly every group has one row. A value on two rows or more
    // is one of its column's repeated values, so only those are grouped
    const shared = (col: string, table: string, which: string, only = '') =>
      `SELECT t.seq FROM ${table} t JOIN (SELECT ${col} FROM ${table} WHERE ${which} GROUP BY ${col} HAVING count(*) > 1${only}) d ON d.${col} = t.${col}`;
    const inFile = (col: string, only = '') => shared(col, 'mkt_import_maybe', `${col}_repeated`, only);
    // An email or phone shared by rows that all have an external id (each its own: a shared one
    // is caught by the first group) links nothing: a customer a row with external id X writes
    // has X, so it can be matched later only by a row with X or with none, and a row with an
    // external id matches only customers with that one or none; what else could tie the rows
    // together is a stored customer both can reach (the last group). Two people with one
    // phone number, each with their own customer id, are the usual case (a family, a shop's
    // landline), and they need no file order.
    const linking = ' AND count(external_id) < count(*)';
    await q(`CREATE TEMP TABLE mkt_import_dep ON COMMIT DROP AS
      ${inFile('external_id')} UNION ${inFile('email', linking)} UNION ${inFile('phone', linking)} UNION ${shared('id', 'mkt_import_cand', 'id IS NOT NULL')}`);
    await q('ALTER TABLE mkt_import_dep ADD PRIMARY KEY (seq)');
    // the usual file (no line depends on another): nothing to hand over, and no scan of the staged rows for it
    const dependent = Number((await this.client.query<{ n: number }>('SELECT count(*) AS n FROM mkt_import_dep')).rows[0]!.n);
    this.dependent = dependent;
    if (dependent === 0) return { rows: [], customers: [], nextId: 0 };
    const asNumber = (c: string) => (isBoolean(c) ? `${c}::int AS ${c}` : c);
    const rows = await this.client.query({
      text: `SELECT ${ROW_COLUMNS.map((c) => `s.${asNumber(c)}`).join(', ')} FROM mkt_import_dep d JOIN ${ROWS} s ON s.seq = d.seq ORDER BY d.seq`,
      rowMode: 'array',
    });
    const stored = await this.client.query<StoredCustomer & { attributes: unknown }>(
      `SELECT id, ${[...CUSTOMER_DATA_COLUMNS, 'updated_at'].map(asNumber).join(', ')} FROM customers
       WHERE id IN (SELECT k.id FROM mkt_import_cand k JOIN mkt_import_dep d ON d.seq = k.seq) ORDER BY id`,
    );
    const next = await this.client.query<{ n: number }>('SELECT coalesce(max(id), 0) + 1 AS n FROM customers');
    return {
      // attributes back as JSON text, the reader's form (null: the row gives none)
      rows: (rows.rows as unknown[][]).map(([seq, line, ...values]) => {
        const attributes = values[values.length - 1];
        values[values.length - 1] = attributes === null ? null : JSON.stringify(attributes);
        return { seq: seq as number, line: line as number, values };
      }),
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

    // the import's precedence: external id, else the lowest-id email match, else the lowest-id
    // phone match; an email or phone match only when the external ids do not differ
    await q(`CREATE TEMP TABLE mkt_import_match ON COMMIT DROP AS
      SELECT DISTINCT ON (k.seq) k.seq, c.id FROM mkt_import_cand k
      JOIN ${ROWS} s ON s.seq = k.seq JOIN customers c ON c.id = k.id
      WHERE ${INDEPENDENT} AND (c.external_id = s.external_id
        OR ((s.external_id IS NULL OR c.external_id IS NULL) AND (c.email = s.email OR c.phone = s.phone)))
      ORDER BY k.seq, CASE WHEN c.external_id = s.external_id THEN 1 WHEN c.email = s.email THEN 2 ELSE 3 END, c.id`);
    const matched = Number((await this.client.query<{ n: number }>('SELECT count(*) AS n FROM mkt_import_match')).rows[0]!.n);

    // the row's values over the stored ones; attributes key by key (stored ones that are not an object are replaced)
    const merged = CUSTOMER_INPUT_COLUMNS.map((c) => `coalesce(s.${c}, c.${c})`);
    const attributes = `CASE WHEN s.attributes IS NULL THEN c.attributes WHEN jsonb_typeof(c.attributes) = 'object' THEN c.attributes || s.attributes ELSE s.attributes END`;
    const updated = await q(
      `INSERT INTO ${FINAL} (${FINAL_COLUMNS.join(', ')})
       SELECT seq, id, ${CUSTOMER_DATA_COLUMNS.join(', ')}, $1::bigint FROM (
         SELECT s.seq, c.id, ${merged.map((m, i) => `${m} AS ${CUSTOMER_INPUT_COLUMNS[i]}`).join(', ')}, ${attributes} AS attributes,
                ${CUSTOMER_DATA_COLUMNS.map((c) => `c.${c} AS was_${c}`).join(', ')}
         FROM mkt_import_match m JOIN ${ROWS} s ON s.seq = m.seq JOIN customers c ON c.id = m.id) x
       WHERE ${CUSTOMER_DATA_COLUMNS.map((c) => `${c} IS DISTINCT FROM was_${c}`).join(' OR ')}`,
      [now],
    );

    // the new customers: independent rows that match nobody, and the dependents' new ones
    const rebuilt = await this.dropIndexesForLoad(this.seq - this.dependent - matched + final.inserts.length);
    // new customers straight from the staging table (independent rows that match nobody: the
    // stored defaults for what they do not give), with the dependents' new ones, in file order
    const newValue = (c: string) => (c === 'created_at' ? `coalesce(s.created_at, $1::bigint)` : isBoolean(c) ? `coalesce(s.${c}, false)` : `s.${c}`);
    const fresh = `${CUSTOMER_INPUT_COLUMNS.map(newValue).join(', ')}, coalesce(s.attributes, '{}'::jsonb), $1::bigint`;
    let written = matched === 0 && this.dependent === 0 ? await this.numbered(fresh, now) : undefined;
    written ??= await this.upsert(fresh, now);
    if (rebuilt.length > 0) {
      // sorted builds, in memory up to this size (the default 64 MB spills a 1M-row index)
      await q("SET LOCAL maintenance_work_mem = '256MB'");
      for (const ddl of rebuilt) await q(ddl);
    }
    const nUpdated = updated.rowCount ?? 0;
    return { inserted: written - final.inserts.length, updated: nUpdated, unchanged: matched - nUpdated };
  }

  /**
   * Every staged row is a new customer (no row matched a stored one, none depends on another:
   * a first import, a move from another tool). Their ids are then known without ordering
   * anything: the identity's next values, staged row `seq` taking the `seq`-th, exactly the ids
   * inserting them one by one in file order gives. Written with their ids, the rows need no
   * sort into file order (an on-disk sort of a million wide rows, a tenth of a 1M-row import),
   * and the identity is moved on past them as those inserts would have. Needs the right to set
   * the identity's sequence (its owner's; README's runtime role, with USAGE only, goes through
   * `upsert`): returns the rows written, or undefined when it may not. `fresh`: a new
   * customer's WRITE_COLUMNS from staged row `s`.
   */
  private async numbered(fresh: string, now: number): Promise<number | undefined> {
    if (this.seq === 0) return 0;
    const identity = `pg_get_serial_sequence('customers', 'id')`;
    const next = await this.client.query<{ id: string }>(`SELECT nextval(${identity}) AS id WHERE has_sequence_privilege(${identity}, 'UPDATE')`);
    if (next.rows.length === 0) return undefined;
    const first = Number(next.rows[0]!.id);
    const written = await this.client.query(
      `INSERT INTO customers (id, ${WRITE_COLUMNS.join(', ')}) SELECT $2::bigint + s.seq - 1, ${fresh} FROM ${ROWS} s`,
      [now, first],
    );
    await this.client.query(`SELECT setval(${identity}, $1::bigint, true)`, [first + this.seq - 1]);
    return written.rowCount ?? 0;
  }

  /** The general write: the changed customers updated, the new ones inserted in file order (`fresh`: as for `numbered`). */
  private async upsert(fresh: string, now: number): Promise<number> {
    const set = WRITE_COLUMNS.map((c) => `${c} = f.${c}`).join(', ');
    const written = await this.client.query(
      `WITH changed AS (UPDATE customers c SET ${set} FROM ${FINAL} f WHERE f.id IS NOT NULL AND c.id = f.id RETURNING c.id)
       INSERT INTO customers (${WRITE_COLUMNS.join(', ')})
       SELECT ${WRITE_COLUMNS.join(', ')} FROM (
         SELECT seq, ${WRITE_COLUMNS.join(', ')} FROM ${FINAL} WHERE id IS NULL
         UNION ALL
         SELECT s.seq, ${fresh} FROM ${ROWS} s WHERE ${INDEPENDENT} AND NOT EXISTS (SELECT 1 FROM mkt_import_match m WHERE m.seq = s.seq)
       ) n ORDER BY seq`,
      [now],
    );
    return written.rowCount ?? 0;
  }

  /**
   * A load that at least doubles the customers (the first import of a list, a move from another
   * tool): maintaining each secondary index row by row was most of the write (four B-trees, one
   * descent per row each, and at a million rows indexes larger than the buffer cache); dropping
   * them and building each once, sorted, after the insert costs half or less. It takes the table
   * from every reader (ACCESS EXCLUSIVE) until the commit, so only for such a load, and only
   * when nobody is reading customers at that moment: segment counts and sends that start
   * meanwhile wait those seconds instead of reading customers mid-write. Only the table's owner
   * may (README's runtime role, with DML grants only, loads with the indexes). Indexes that
   * back a constraint (the primary key, which other tables'
   * keys reference) stay. Returns the statements that recreate the dropped ones, exactly as
   * they were; a failed import rolls the drop back with everything else.
   */
  private async dropIndexesForLoad(inserts: number): Promise<string[]> {
    if (inserts < REBUILD_MIN) return [];
    // only the table's owner may drop its indexes: README's runtime role (DML grants) loads with them
    const stored = await this.client.query<{ n: number; owner: boolean }>(
      `SELECT (SELECT count(*)::int FROM (SELECT 1 FROM customers LIMIT $1) x) AS n,
              pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'customers'::regclass), 'USAGE') AS owner`,
      [inserts],
    );
    if (stored.rows[0]!.n >= inserts || !stored.rows[0]!.owner) return [];
    // never waited for: a reader's transaction that goes on to write customers would wait for
    // this import's lock while it waited for the reader's (a deadlock, one of them aborted);
    // while anyone reads customers the rows go in with the indexes, as for a smaller load
    await this.client.query('SAVEPOINT mkt_import_rebuild');
    try {
      await this.client.query('LOCK TABLE customers IN ACCESS EXCLUSIVE MODE NOWAIT');
    } catch (e) {
      if ((e as { code?: unknown }).code !== LOCK_NOT_AVAILABLE) throw e;
      await this.client.query('ROLLBACK TO SAVEPOINT mkt_import_rebuild');
      return [];
    }
    await this.client.query('RELEASE SAVEPOINT mkt_import_rebuild');
    const indexes = await this.client.query<{ name: string; ddl: string }>(
      `SELECT format('%I.%I', n.nspname, i.relname) AS name, pg_get_indexdef(i.oid) AS ddl
       FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_namespace n ON n.oid = i.relnamespace
       WHERE x.indrelid = 'customers'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
       ORDER BY i.relname`,
    );
    for (const { name } of indexes.rows) await this.client.query(`DROP INDEX ${name}`);
    return indexes.rows.map((r) => r.ddl);
  }
}
