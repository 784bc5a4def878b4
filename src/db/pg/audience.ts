/**
 * A campaign's send list on PostgreSQL: the twin of ../audience-sql.ts with the same meaning
 * (the store contract suite gives both the same data and expects the same list). Where SQLite
 * classifies into a temp table, a prepare here is one statement: the exclusion counts by status
 * from one scan of customers, and a plain INSERT … SELECT of the eligible from another, with the
 * exclusions in its WHERE as a hand-written one has them (no classification materialized and
 * read twice); the plan hash is then one aggregate over the list on the server.
 *
 * Parameters: the filter's own `$1…$n` come first (../pg/segment-sql.ts numbers from 1); what
 * this file binds follows, with explicit types where PostgreSQL cannot infer one (a parameter
 * in a SELECT list).
 */
import type pg from 'pg';
import { CHANNEL_FIELDS, type Channel } from '../../channels.js';
import { countsFromGroups, NEXT_RUN_SQL, PREPARE_GUARD_SQL, refuseStartedReplace, refuseTakenRun, type AudienceDrift, type AudienceGroup, type ExclusionRule, type PrepareGuardRow, type PreparedAudience } from '../audience-sql.js';
import type { CustomerRow } from '../customer-columns.js';
import { listHasher } from '../list-hash.js';
import type { AudienceQuery, AudienceStore } from '../repositories.js';
import { PG_CUSTOMER_ROW_COLUMNS, toRow } from './customer-rows.js';
import { localDueTimesIn } from './flow.js';
import { filterToPgSql } from './segment-sql.js';
import { inTransaction, numbered } from './transaction.js';

// The same shape checks as SQLite's (addresses were normalised at import; this catches hand-edited data).
const VALID_ADDRESS: Record<'email' | 'phone', string> = {
  email: `({addr} LIKE '%_@_%._%' AND {addr} NOT LIKE '% %')`,
  // '+', a digit 1-9, then 6 to 14 digits: SQLite's GLOB and length rule as one regular expression
  phone: `({addr} ~ '^\\+[1-9][0-9]{6,14}$')`,
};

/** SQLite's `mkt_address_hash(kind, address)` (src/util/address-hash.ts) in PostgreSQL's own functions. */
function pgAddressHash(kind: 'email' | 'phone', address: string): string {
  return `encode(sha256(convert_to('${kind}:' || ${address}, 'UTF8')), 'hex')`;
}

/** Rows fetched per round trip when a list is streamed (keyset pages on the id). */
const PAGE = 10_000;
/**
 * The frozen list's pages are larger: three narrow columns (a page of 50,000 is a few MB), and
 * each page's keyset walk of the id index starts by stepping over the rows of other campaigns
 * and the dead rows of a replaced list, so fewer pages cost less (0.4 s of a 1M-row prepare).
 */
const FROZEN_PAGE = 50_000;

/** Parameters bound in order; `bind` returns the placeholder. */
class Params {
  constructor(readonly values: unknown[]) {}
  bind(value: unknown, type?: string): string {
    this.values.push(value);
    return `$${this.values.length}${type ? `::${type}` : ''}`;
  }
}

/**
 * The classification of the customers `c` the segment matches now, in two forms with one meaning
 * (SQLite's classifyAudience): `status`, the first exclusion that applies ('ok' when none), and
 * `eligible`, the same rules as a WHERE clause true exactly when `status` is 'ok'. The exclusions
 * counted by status, the list inserted by eligibility: written in WHERE, the suppression test
 * becomes a hash anti-join (as a hand-written INSERT … SELECT has it) instead of a per-row CASE.
 */
function classification(q: { channel: Channel; filter: AudienceQuery['filter']; now: number; exclusions: ExclusionRule[] }) {
  const where = filterToPgSql(q.filter, new Date(q.now));
  const p = new Params([...where.params]);
  const { address, consent } = CHANNEL_FIELDS[q.channel];
  const addr = `c.${address}`;
  const valid = VALID_ADDRESS[address].replaceAll('{addr}', addr);
  const suppressed = `EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = ${p.bind(q.channel, 'text')} AND s.address = ${addr})`;
  // erased on request (customers forget): the hash of src/util/address-hash.ts, sha256 of
  // '<kind>:<address>' in hex; the uncorrelated EXISTS runs once, so nobody forgotten costs nothing
  const anyForgotten = 'EXISTS (SELECT 1 FROM forgotten_addresses)';
  const forgotten = `EXISTS (SELECT 1 FROM forgotten_addresses f WHERE f.hash = ${pgAddressHash(address, addr)})`;
  const rules = q.exclusions.map((r) => {
    const text = numbered(r.sql.text.replaceAll('{addr}', addr), p.values.length);
    p.values.push(...r.sql.params);
    return { text, status: p.bind(r.status, 'text') };
  });
  const status = `CASE WHEN ${addr} IS NULL OR ${addr} = '' OR NOT ${valid} THEN 'invalid_address'
           WHEN c.${consent} IS NOT TRUE THEN 'no_consent'
           WHEN ${suppressed} THEN 'suppressed'
           WHEN ${anyForgotten} AND ${forgotten} THEN 'forgotten'
           ${rules.map((r) => `WHEN ${r.text} THEN ${r.status}`).join(' ')}
           ELSE 'ok' END`;
  // a CASE skips a rule whose test is NULL, so "not excluded" is IS NOT TRUE, not NOT
  const eligible = [
    `${addr} IS NOT NULL AND ${addr} <> '' AND ${valid}`,
    `c.${consent} IS TRUE`,
    `NOT ${suppressed}`,
    `(NOT ${anyForgotten} OR NOT ${forgotten})`,
    ...rules.map((r) => `(${r.text}) IS NOT TRUE`),
  ].join(' AND ');
  return { where: where.text, addr, status, eligible, params: p };
}

/** `a(customer_id, address, status)`: every customer the segment matches now, classified (drift's input). */
function audienceCte(q: Parameters<typeof classification>[0]): { cte: string; params: Params } {
  const k = classification(q);
  return { cte: `a AS MATERIALIZED (SELECT c.id AS customer_id, ${k.addr} AS address, ${k.status} AS status FROM customers c WHERE ${k.where})`, params: k.params };
}

/**
 * For this transaction only. JIT off: the CASE's subplans inflate the cost estimate past
 * jit_above_cost, and compiling the statement costs 0.3-0.5 s that a one-scan statement never
 * wins back (EXPLAIN ANALYZE on 200k and 1M customers). work_mem for the grouping by address and
 * the sort into customer order: at the 4 MB default both spill to temporary files.
 */
const PREPARE_SETTINGS = `SET LOCAL jit = off; SET LOCAL work_mem = '64MB'`;

/**
 * The most rows hashed on the server (string_agg holds the list's bytes in the backend's memory:
 * ~40 bytes a row, ~80 MB here); a longer list is hashed in Node as it streams back.
 */
const SERVER_HASH_ROWS = 2_000_000;

/**
 * The list hash (../list-hash.ts), the same bytes on the server: one aggregate over the list in
 * id order, not the rows sent back to Node in pages. Hashing the rows the INSERT returns instead
 * cost more (the returned rows spill and are sorted again: +3.4 s of backend CPU at 960,000 rows
 * vs ~1.2 s for this query, measured side by side).
 */
async function listHash(client: pg.PoolClient, campaignId: number, seed: string, rows: number): Promise<string> {
  if (rows > SERVER_HASH_ROWS) return streamedListHash(client, campaignId, seed);
  const r = await client.query<{ h: string }>(
    `SELECT encode(sha256(convert_to($2::text, 'UTF8') || coalesce(string_agg(
        convert_to(customer_id::text, 'UTF8') || '\\x00'::bytea || convert_to(address, 'UTF8') || '\\x0a'::bytea, ''::bytea ORDER BY id), ''::bytea)), 'hex') AS h
     FROM campaign_recipients WHERE campaign_id = $1`,
    [campaignId, seed],
  );
  return r.rows[0]!.h;
}

type PrepareQuery = Parameters<AudienceStore['prepare']>[0];

async function prepare(pool: pg.Pool, q: PrepareQuery): Promise<PreparedAudience> {
  return inTransaction(pool, async (client) => {
    // one prepare of a campaign at a time: a second one waits here instead of colliding on the list
    const locked = await client.query<PrepareGuardRow>(`${numbered(PREPARE_GUARD_SQL, 0)} FOR UPDATE`, [q.campaignId]);
    refuseStartedReplace(locked.rows[0], q.refresh);
    refuseTakenRun(locked.rows[0], q.nextRun);
    let runNumber = q.run;
    if (q.nextRun) {
      runNumber = (await client.query<{ run: number }>(numbered(NEXT_RUN_SQL, 0), [q.campaignId])).rows[0]!.run;
      await client.query('UPDATE campaigns SET prepared_at = $1 WHERE id = $2', [q.now, q.campaignId]);
    }
    await client.query(PREPARE_SETTINGS);
    if (!q.refresh) await client.query('DELETE FROM campaign_recipients WHERE campaign_id = $1', [q.campaignId]);
    const k = classification(q);
    const params = k.params;
    const id = params.bind(q.campaignId, 'bigint');
    const at = params.bind(q.now, 'bigint');
    // the recurring run that appends these rows (campaign status counts each run)
    const run = params.bind(runNumber ?? 1, 'int');
    // newcomers only: nobody already on the list (by address or by customer) is touched
    const onlyNew = q.refresh
      ? `AND NOT EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = ${id} AND r.address = ${k.addr})
         AND NOT EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = ${id} AND r.customer_id = c.id)`
      : '';
    // One statement, one snapshot: the counts by status and the INSERT … SELECT of the eligible
    // each scan customers (the counting scan is ~0.4 s of CPU at 1M), rather than both reading one
    // materialized classification. One row per address, the lowest customer id, inserted in
    // customer order (the claim order: see freezeAudience).
    const r = await client.query<AudienceGroup & { added: number }>(
      `WITH counts AS (
         SELECT status, count(*) AS n, ${q.refresh ? 'count(DISTINCT address)' : 'NULL::bigint'} AS d
         FROM (SELECT ${k.status} AS status, ${k.addr} AS address FROM customers c WHERE ${k.where}) a GROUP BY status),
       ins AS (
         INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at, run)
         SELECT ${id}, min(c.id) AS cid, ${k.addr}, 'pending', 0, ${at}, ${run} FROM customers c
         WHERE (${k.where}) AND ${k.eligible} ${onlyNew}
         GROUP BY ${k.addr} ORDER BY cid
         RETURNING 1)
       SELECT status, n, d, (SELECT count(*) FROM ins) AS added FROM counts`,
      params.values,
    );
    const added = Number(r.rows[0]?.added ?? 0);
    // send_at_local: the new rows' due times, before the commit makes them claimable
    if (q.localDue) await localDueTimesIn(client, q.campaignId, q.localDue);
    // a full prepare inserted one row per distinct eligible address: that count is the one a
    // count(DISTINCT) would give, without sorting a million addresses a second time
    if (!q.refresh) for (const g of r.rows) g.d = g.status === 'ok' ? added : 0;
    if (!q.refresh) return { counts: countsFromGroups(r.rows), added, recipients: added, ...(await hashed(client, q, added)) };
    // a refresh added to a list that was there: its size and what is still pending
    const sizes = await client.query<{ n: number; pending: number }>(
      `SELECT count(*) AS n, count(*) FILTER (WHERE state = 'pending') AS pending FROM campaign_recipients WHERE campaign_id = $1`,
      [q.campaignId],
    );
    const { n, pending } = sizes.rows[0]!;
    return { counts: countsFromGroups(r.rows), added, recipients: n, pending, ...(await hashed(client, q, Number(n))) };
  });
}

/** `{ listHash }` when the prepare was given the plan hash's seed, of the list as this transaction leaves it. */
async function hashed(client: pg.PoolClient, q: PrepareQuery, rows: number): Promise<{ listHash?: string }> {
  return q.hashSeed === undefined ? {} : { listHash: await listHash(client, q.campaignId, q.hashSeed, rows) };
}

/** The list hash (../list-hash.ts) of the list as it streams back in pages, on this transaction's connection. */
async function streamedListHash(client: pg.PoolClient, campaignId: number, seed: string): Promise<string> {
  const hasher = listHasher(seed);
  for await (const r of frozenRows(client, campaignId)) hasher.row(r.customer_id, r.address);
  return hasher.hex();
}

async function drift(pool: pg.Pool, q: AudienceQuery): Promise<AudienceDrift> {
  const { cte, params } = audienceCte(q);
  const id = params.bind(q.campaignId, 'bigint');
  const r = await pool.query<AudienceDrift>(
    `WITH ${cte},
       live AS (SELECT DISTINCT address FROM a WHERE status = 'ok'),
       frozen AS (SELECT address FROM campaign_recipients WHERE campaign_id = ${id})
     SELECT (SELECT count(*) FROM frozen) AS frozen,
            (SELECT count(*) FROM live) AS now,
            (SELECT count(*) FROM live l WHERE NOT EXISTS (SELECT 1 FROM frozen f WHERE f.address = l.address)) AS joined,
            (SELECT count(*) FROM frozen f WHERE NOT EXISTS (SELECT 1 FROM live l WHERE l.address = f.address)) AS "left"`,
    params.values,
  );
  return r.rows[0]!;
}

/**
 * Streams a query in keyset pages: `page(after)` returns up to `size` rows with `key` above
 * `after`, in key order. Memory stays flat in the list's size, and no cursor holds a connection
 * between pages.
 */
async function* pages<R extends { key: number }>(page: (after: number) => Promise<R[]>, size = PAGE): AsyncGenerator<R> {
  let after = -1;
  for (;;) {
    const rows = await page(after);
    yield* rows;
    if (rows.length < size) return;
    after = rows[rows.length - 1]!.key;
  }
}

/** The frozen list in ledger order, in keyset pages on the prepare's own connection (the streamed plan hash). */
function frozenRows(db: pg.PoolClient, campaignId: number): AsyncIterable<{ customer_id: number; address: string }> {
  const rows = pages((after) =>
    db
      .query<{ key: number; customer_id: number; address: string }>(
        'SELECT id AS key, customer_id, address FROM campaign_recipients WHERE campaign_id = $1 AND id > $2 ORDER BY id LIMIT $3',
        [campaignId, after, FROZEN_PAGE],
      )
      .then((r) => r.rows),
    FROZEN_PAGE,
  );
  return (async function* () {
    for await (const r of rows) yield { customer_id: r.customer_id, address: r.address };
  })();
}

type SampleRow = Parameters<typeof toRow>[0] & { key: number; addr: string; variant?: string | null };

/** A prepared list's rows carry their A/B variant (pre-flight renders each with its own), as SQLite's audienceSample does. */
function sample(pool: pg.Pool, q: Parameters<AudienceStore['sample']>[0]): AsyncIterable<{ address: string; customer: CustomerRow; variant: string | null }> {
  const { address, consent } = CHANNEL_FIELDS[q.channel];
  const fromList = q.prepared || !q.filter;
  const where = q.filter && !fromList ? filterToPgSql(q.filter, new Date(q.now)) : undefined;
  const rows = pages<SampleRow>((after) => {
    if (!where) {
      return pool
        .query<SampleRow>(
          `SELECT r.id AS key, r.address AS addr, r.variant AS variant, ${PG_CUSTOMER_ROW_COLUMNS} FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id
           WHERE r.campaign_id = $1 AND r.state = 'pending' AND r.id > $2 ORDER BY r.id LIMIT $3`,
          [q.campaignId, after, PAGE],
        )
        .then((r) => r.rows);
    }
    const p = new Params([...where.params]);
    return pool
      .query<SampleRow>(
        `SELECT c.id AS key, c.${address} AS addr, ${PG_CUSTOMER_ROW_COLUMNS} FROM customers c
         WHERE c.${consent} AND c.${address} IS NOT NULL AND c.${address} <> ''
           AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = ${p.bind(q.channel, 'text')} AND s.address = c.${address})
           AND (${where.text}) AND c.id > ${p.bind(after, 'bigint')} ORDER BY c.id LIMIT ${p.bind(PAGE, 'int')}`,
        p.values,
      )
      .then((r) => r.rows);
  });
  return (async function* () {
    for await (const row of rows) {
      const { key: _key, addr, variant, ...customer } = row;
      yield { address: addr, customer: toRow(customer), variant: variant ?? null };
    }
  })();
}

export function pgAudienceStore(pool: pg.Pool): AudienceStore {
  return {
    prepare: (q) => prepare(pool, q),
    drift: (q) => drift(pool, q),
    sample: (q) => sample(pool, q),
  };
}
