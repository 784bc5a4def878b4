/**
 * The PostgreSQL store behind the repositories (../repositories.ts). Rows go out in the shapes
 * the SQLite store gives (CustomerRow with 0/1 opt-ins and attributes as JSON text), so the
 * layers above never see which store they talk to.
 */
import { and, asc, count, eq, type SQL } from 'drizzle-orm';
import { WRITE_COLUMNS, type CustomerValues } from '../customers-writer.js';
import type { Repositories } from '../repositories.js';
import type { SuppressionRow } from '../suppressions.js';
import { redactUrl } from '../target.js';
import { addressHash } from '../../util/address-hash.js';
import { pgCampaignStore } from './campaigns.js';
import { toRow } from './customer-rows.js';
import { pgFlowStore } from './flow.js';
import { pgAudienceStore } from './audience.js';
import { pgImportStore } from './import-store.js';
import { migratePg, type PgStore } from './open.js';
import { pgReportStore } from './reports.js';
import { pgVariantStore } from './variants.js';
import { pgCustomerDataStore } from './customer-data.js';
import { pgResultsStore } from './results.js';
import { pgSegmentPreviewStore } from './segment-preview.js';
import { inTransaction } from './transaction.js';
import { pgTrackingStore } from './tracking.js';
import { customers, forgottenAddresses, suppressions } from './schema.js';
import { attributeKey, breakdownPgSql, countPgSql, filterToPgSql, idsPgSql } from './segment-sql.js';

const BOOLEAN_COLUMNS = new Set<string>(['email_opt_in', 'sms_opt_in', 'whatsapp_opt_in']);
/** Rows per INSERT: 19 values each, well under the protocol's 65,535 parameters. */
const INSERT_BATCH = 1000;

/** `INSERT … VALUES` of a batch of WRITE_COLUMNS rows: opt-ins as booleans, attributes as jsonb. */
function insertSql(rows: CustomerValues[]): { text: string; values: unknown[] } {
  const values: unknown[] = [];
  const tuples = rows.map((row) => {
    const cells = WRITE_COLUMNS.map((col, i) => {
      const v = row[i] ?? null;
      values.push(BOOLEAN_COLUMNS.has(col) && v !== null ? Boolean(v) : v);
      return col === 'attributes' ? `$${values.length}::jsonb` : `$${values.length}`;
    });
    return `(${cells.join(', ')})`;
  });
  return { text: `INSERT INTO customers (${WRITE_COLUMNS.join(', ')}) VALUES ${tuples.join(', ')} ON CONFLICT DO NOTHING`, values };
}

const SUPPRESSION_COLUMNS = { channel: suppressions.channel, address: suppressions.address, reason: suppressions.reason, source: suppressions.source, note: suppressions.note, created_at: suppressions.createdAt };

export function pgRepositories(store: PgStore): Repositories {
  const { db, pool } = store;
  let pendingReport = store.appliedOnOpen;
  const suppressionRows = async (where: SQL | undefined, order: SQL[]): Promise<SuppressionRow[]> =>
    (await db.select(SUPPRESSION_COLUMNS).from(suppressions).where(where).orderBy(...order)) as SuppressionRow[];
  return {
    kind: 'postgres',
    name: redactUrl(store.url),
    customers: {
      count: async () => (await db.select({ n: count() }).from(customers))[0]?.n ?? 0,
      list: async (limit, offset = 0) => (await db.select().from(customers).orderBy(asc(customers.id)).limit(limit).offset(offset)).map(toRow),
      by: async (by, value) => {
        const [row] = await db.select().from(customers).where(eq(customers[by], value as never)).orderBy(asc(customers.id)).limit(1);
        return row && toRow(row);
      },
      insert: async (rows, opts) =>
        inTransaction(pool, async (client) => {
          const deleted = opts?.replace ? ((await client.query('DELETE FROM customers')).rowCount ?? 0) : 0;
          let inserted = 0;
          let batch: CustomerValues[] = [];
          const flush = async () => {
            if (batch.length === 0) return;
            const q = insertSql(batch);
            inserted += (await client.query(q.text, q.values)).rowCount ?? 0;
            batch = [];
          };
          for (const row of rows) {
            batch.push(row);
            if (batch.length === INSERT_BATCH) await flush();
          }
          await flush();
          return { inserted, deleted };
        }),
    },
    segments: {
      count: async (filter, now) => {
        const q = countPgSql(filterToPgSql(filter, now));
        return Number((await pool.query<{ n: number }>(q.text, q.params)).rows[0]!.n);
      },
      ids: async (filter, now) => {
        const q = idsPgSql(filterToPgSql(filter, now));
        return (await pool.query<{ id: number }>(q.text, q.params)).rows.map((r) => r.id);
      },
      breakdown: async (filter, now, by) => {
        const q = breakdownPgSql(filterToPgSql(filter, now), by);
        const rows = (await pool.query<{ k: unknown; n: number }>(q.text, q.params)).rows;
        return by.kind === 'attribute' ? rows.map((r) => ({ k: attributeKey(r.k), n: r.n })) : rows;
      },
    },
    suppressions: {
      add: async (s, now) => {
        // An address already suppressed keeps its first reason: that is when consent was lost.
        const r = await db
          .insert(suppressions)
          .values({ channel: s.channel, address: s.address, reason: s.reason, source: s.source, note: s.note ?? null, createdAt: now })
          .onConflictDoNothing({ target: [suppressions.channel, suppressions.address] });
        return r.rowCount === 1;
      },
      lift: async (channel, address) => ((await db.delete(suppressions).where(and(eq(suppressions.channel, channel), eq(suppressions.address, address)))).rowCount ?? 0) === 1,
      get: async (channel, address) => (await suppressionRows(and(eq(suppressions.channel, channel), eq(suppressions.address, address)), []))[0],
      list: async (channel) =>
        channel
          ? suppressionRows(eq(suppressions.channel, channel), [asc(suppressions.createdAt), asc(suppressions.id)])
          : suppressionRows(undefined, [asc(suppressions.channel), asc(suppressions.createdAt), asc(suppressions.id)]),
      matching: async (channel, addresses) => {
        if (addresses.length === 0) return new Set();
        // the list binds as ONE array, so a batch of any size is one parameter
        const r = await pool.query<{ address: string }>('SELECT address FROM suppressions WHERE channel = $1 AND address = ANY($2::text[])', [channel, addresses]);
        return new Set(r.rows.map((row) => row.address));
      },
    },
    forgotten: {
      keep: async (kind, address, now) =>
        ((await db.insert(forgottenAddresses).values({ hash: addressHash(kind, address), createdAt: now }).onConflictDoNothing()).rowCount ?? 0) === 1,
    },
    campaigns: pgCampaignStore(db),
    audience: pgAudienceStore(pool),
    reports: pgReportStore(pool),
    variants: pgVariantStore(pool),
    flow: pgFlowStore(pool),
    results: pgResultsStore(pool),
    customerData: pgCustomerDataStore(pool),
    segmentPreview: pgSegmentPreviewStore(pool),
    tracking: pgTrackingStore(pool),
    imports: pgImportStore(store),
    migrate: async () => {
      const r = await migratePg(store);
      const applied = r.applied + pendingReport;
      pendingReport = 0;
      return { applied, total: r.total };
    },
    close: () => store.close(),
  };
}
