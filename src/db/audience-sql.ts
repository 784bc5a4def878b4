/**
 * Set-based SQL that turns a segment filter into a campaign's send list. The live audience is
 * classified once into a temporary table (one scan of customers), from which the exclusion
 * counts and the frozen list are taken with single statements — never a per-row loop.
 */
import type Database from 'better-sqlite3';
import { CHANNEL_FIELDS, type Channel } from '../channels.js';
import { InputError } from '../errors.js';
import { listHasher } from './list-hash.js';
import { setLocalDueTimes, type ZoneGroup } from './local-time-sql.js';
import type { Store } from './open.js';
import type { SqlFragment } from './sql-fragment.js';

export type AudienceStatus = 'ok' | 'invalid_address' | 'no_consent' | 'suppressed' | 'forgotten' | (string & {});

/** An extra exclusion rule, tested after the built-in ones (e.g. frequency caps). */
export interface ExclusionRule {
  status: string;
  /**
   * Boolean SQL over customers `c`, with `{addr}` standing for the channel's address column; true = exclude.
   * Written in SQL both stores run (`?` placeholders: PostgreSQL's store numbers them).
   */
  sql: SqlFragment;
}

// Shape checks only: addresses were normalised at import, this catches hand-edited data.
const VALID_ADDRESS: Record<'email' | 'phone', string> = {
  email: `({addr} LIKE '%_@_%._%' AND {addr} NOT LIKE '% %')`,
  phone: `({addr} GLOB '+[1-9]*' AND length({addr}) BETWEEN 8 AND 16 AND substr({addr}, 2) NOT GLOB '*[^0-9]*')`,
};

/**
 * Fills temp table `mkt_audience(customer_id, address, status)` with every customer the
 * segment matches now, each classified by the first exclusion that applies.
 */
export function classifyAudience(sqlite: Database.Database, channel: Channel, where: SqlFragment, extra: ExclusionRule[] = []): void {
  const { address, consent } = CHANNEL_FIELDS[channel];
  const valid = VALID_ADDRESS[address].replaceAll('{addr}', `c.${address}`);
  const extraCases = extra.map((r) => `WHEN ${r.sql.text.replaceAll('{addr}', `c.${address}`)} THEN ?`).join(' ');
  sqlite.exec('CREATE TEMP TABLE IF NOT EXISTS mkt_audience (customer_id INTEGER NOT NULL, address TEXT, status TEXT NOT NULL)');
  sqlite.exec('DELETE FROM mkt_audience');
  sqlite
    .prepare(
      `INSERT INTO mkt_audience (customer_id, address, status)
       SELECT c.id, c.${address},
         CASE WHEN c.${address} IS NULL OR c.${address} = '' OR NOT ${valid} THEN 'invalid_address'
              WHEN c.${consent} IS NOT 1 THEN 'no_consent'
              WHEN EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = ? AND s.address = c.${address}) THEN 'suppressed'
              -- erased on request (customers forget): the uncorrelated EXISTS is evaluated once,
              -- so the per-row hash costs nothing while nobody has been forgotten
              WHEN EXISTS (SELECT 1 FROM forgotten_addresses) AND EXISTS (SELECT 1 FROM forgotten_addresses f WHERE f.hash = mkt_address_hash('${address}', c.${address})) THEN 'forgotten'
              ${extraCases}
              ELSE 'ok' END
       FROM customers c WHERE ${where.text}`,
    )
    .run(channel, ...extra.flatMap((r) => [...r.sql.params, r.status]), ...where.params);
}

export interface AudienceCounts {
  matched: number;
  excluded: Record<string, number>;
  /** Distinct eligible addresses: the size the send list would have. */
  eligible: number;
}

export function audienceCounts(sqlite: Database.Database): AudienceCounts {
  return countsFromGroups(sqlite.prepare('SELECT status, count(*) AS n, count(DISTINCT address) AS d FROM mkt_audience GROUP BY status').all() as AudienceGroup[]);
}

/** One status of the classified audience: its rows and its distinct addresses. */
export interface AudienceGroup {
  status: string;
  n: number;
  d: number;
}

/** The counts a plan shows, from the audience grouped by status (both stores). */
export function countsFromGroups(rows: AudienceGroup[]): AudienceCounts {
  const excluded: Record<string, number> = { no_consent: 0, suppressed: 0, invalid_address: 0, duplicate_address: 0 };
  let matched = 0;
  let eligible = 0;
  for (const r of rows) {
    matched += r.n;
    if (r.status === 'ok') {
      eligible = r.d;
      // several customers sharing one address get one message, not several
      excluded.duplicate_address = r.n - r.d;
    } else excluded[r.status] = (excluded[r.status] ?? 0) + r.n;
  }
  return { matched, excluded, eligible };
}

/**
 * Replaces the campaign's list with the eligible audience (one row per address, lowest customer
 * id), in customer order. Rows are claimed in ledger order, so this order decides how a send
 * walks the customers table and the (customer_id, sent_at) index: in address order (what GROUP
 * BY alone yields) every batch of 64 outcomes touched ~76 scattered pages, in customer order ~10.
 */
export function freezeAudience(sqlite: Database.Database, campaignId: number, now: number, run = 1): number {
  sqlite.prepare('DELETE FROM campaign_recipients WHERE campaign_id = ?').run(campaignId);
  return sqlite
    .prepare(
      `INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at, run)
       SELECT ?, min(customer_id) AS cid, address, 'pending', 0, ?, ? FROM mkt_audience WHERE status = 'ok' GROUP BY address ORDER BY cid`,
    )
    .run(campaignId, now, run).changes;
}

/** Adds only newly eligible recipients: nobody already in the ledger (by address or customer) is touched. */
export function refreshAudience(sqlite: Database.Database, campaignId: number, now: number, run = 1): number {
  return sqlite
    .prepare(
      `INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at, run)
       SELECT ?, min(a.customer_id) AS cid, a.address, 'pending', 0, ?, ? FROM mkt_audience a
       WHERE a.status = 'ok'
         AND NOT EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = ? AND r.address = a.address)
         AND NOT EXISTS (SELECT 1 FROM campaign_recipients r WHERE r.campaign_id = ? AND r.customer_id = a.customer_id)
       GROUP BY a.address ORDER BY cid`,
    )
    .run(campaignId, now, run, campaignId, campaignId).changes;
}

/** Live audience vs frozen list: the list's size, the live size, who would join, who has left. */
export interface AudienceDrift {
  frozen: number;
  now: number;
  joined: number;
  left: number;
}

/** Live audience vs frozen list: who would join, who has left. */
export function audienceDrift(sqlite: Database.Database, campaignId: number): AudienceDrift {
  const r = sqlite
    .prepare(
      `WITH live AS (SELECT DISTINCT address FROM mkt_audience WHERE status = 'ok'),
            frozen AS (SELECT address FROM campaign_recipients WHERE campaign_id = ?)
       SELECT (SELECT count(*) FROM frozen) AS frozen,
              (SELECT count(*) FROM live) AS now,
              (SELECT count(*) FROM live WHERE address NOT IN (SELECT address FROM frozen)) AS joined,
              (SELECT count(*) FROM frozen WHERE address NOT IN (SELECT address FROM live)) AS left`,
    )
    .get(campaignId) as AudienceDrift;
  return r;
}

/** Streams the frozen list in ledger order (for the plan hash). */
function* frozenList(sqlite: Database.Database, campaignId: number): Generator<{ customer_id: number; address: string }> {
  yield* sqlite.prepare('SELECT customer_id, address FROM campaign_recipients WHERE campaign_id = ? ORDER BY id').iterate(campaignId) as Iterable<{
    customer_id: number;
    address: string;
  }>;
}

export function dropAudience(sqlite: Database.Database): void {
  sqlite.exec('DROP TABLE IF EXISTS mkt_audience');
}

/** What one prepare changed: the audience counts, the rows it added, and the list's size after. */
export interface PreparedAudience {
  counts: AudienceCounts;
  added: number;
  recipients: number;
  /** Rows still pending (asked for with `countPending`: a refresh of a started campaign). */
  pending?: number;
  /** The list's hash (./list-hash.ts), when the prepare was given its seed (`hashSeed`). */
  listHash?: string;
}

/** A campaign row as prepare reads it under its lock. */
export interface PrepareGuardRow {
  name: string;
  state: string;
  started_at: number | null;
  prepared_at: number | null;
}

/** The guard row's statement (both stores; PostgreSQL adds FOR UPDATE and numbers the parameter). */
export const PREPARE_GUARD_SQL = 'SELECT name, state, started_at, prepared_at FROM campaigns WHERE id = ?';
/** The run a new recurring run gets: one past the last, read inside the prepare's transaction. */
export const NEXT_RUN_SQL = 'SELECT coalesce(max(run), 0) + 1 AS run FROM campaign_recipients WHERE campaign_id = ?';

/**
 * A new recurring run (`send --due`): the caller judged it due from the campaign's
 * `prepared_at` as it read it. Under the prepare's lock the store starts the run only if that
 * is still the campaign's last prepare, numbers it one past the last run there, and stamps
 * `prepared_at` in the same transaction: two overlapping runs that both judged the run due
 * start it once, and a number is never read by one run while another uses it.
 */
export interface NextRun {
  preparedAt: number | null;
}

/** Refuses a new run that an overlapping `send --due` started since the caller read the campaign (the caller joins its send). */
export function refuseTakenRun(row: PrepareGuardRow | undefined, next: NextRun | undefined): void {
  if (!next || !row || Number(row.prepared_at ?? -1) === (next.preparedAt ?? -1)) return;
  throw new InputError('run_taken', `campaign "${row.name}": an overlapping run started this run already`, { hint: 'nothing to do: this run sends with it' });
}

/**
 * A full prepare replaces the list, so it must not run once a send has started: checked by the
 * store under the lock its prepare holds (not only by the caller, which read the row earlier).
 * Two overlapping `send --due` runs that both saw a draft would otherwise let the second one
 * replace the list the first is already sending from (rows claimed, then deleted and re-added
 * as pending: sent twice). A refresh only adds newcomers, and is always allowed.
 */
export function refuseStartedReplace(row: PrepareGuardRow | undefined, refresh: boolean): void {
  if (refresh || !row) return;
  if (['sending', 'paused', 'completed', 'cancelled'].includes(row.state) || row.started_at !== null) {
    throw new InputError('campaign_started', `campaign "${row.name}" has started sending; its list can no longer be replaced`, {
      hint: 'use `mkt campaign prepare --refresh` to add only recipients who newly match',
    });
  }
}

/**
 * The prepare unit of work: classify the live audience and freeze it into the list (or, with
 * `refresh`, add only newcomers), in one IMMEDIATE transaction — the write lock is taken first,
 * so a concurrent writer makes this wait (busy_timeout) instead of failing the read-to-write
 * upgrade halfway — then drop the temp table and count the list.
 */
export function prepareAudience(
  store: Store,
  c: {
    campaignId: number;
    channel: Channel;
    where: SqlFragment;
    exclusions: ExclusionRule[];
    refresh: boolean;
    now: number;
    run?: number;
    nextRun?: NextRun;
    localDue?: (g: ZoneGroup) => number;
    hashSeed?: string;
  },
): PreparedAudience {
  const { sqlite } = store;
  let counts!: AudienceCounts;
  let added = 0;
  sqlite.transaction(() => {
    const guard = sqlite.prepare(PREPARE_GUARD_SQL).get(c.campaignId) as PrepareGuardRow | undefined;
    refuseStartedReplace(guard, c.refresh);
    refuseTakenRun(guard, c.nextRun);
    let run = c.run;
    if (c.nextRun) {
      run = (sqlite.prepare(NEXT_RUN_SQL).get(c.campaignId) as { run: number }).run;
      sqlite.prepare('UPDATE campaigns SET prepared_at = ? WHERE id = ?').run(c.now, c.campaignId);
    }
    classifyAudience(sqlite, c.channel, c.where, c.exclusions);
    counts = audienceCounts(sqlite);
    added = c.refresh ? refreshAudience(sqlite, c.campaignId, c.now, run) : freezeAudience(sqlite, c.campaignId, c.now, run);
    // send_at_local: the new rows' due times, before any claim can see them
    if (c.localDue) setLocalDueTimes(store, c.campaignId, c.localDue);
  }).immediate();
  dropAudience(sqlite);
  const recipients = (sqlite.prepare('SELECT count(*) AS n FROM campaign_recipients WHERE campaign_id = ?').get(c.campaignId) as { n: number }).n;
  const pending = c.refresh
    ? (sqlite.prepare(`SELECT count(*) AS n FROM campaign_recipients WHERE campaign_id = ? AND state = 'pending'`).get(c.campaignId) as { n: number }).n
    : undefined;
  return { counts, added, recipients, ...(pending !== undefined ? { pending } : {}), ...(c.hashSeed !== undefined ? { listHash: hashList(store, c.campaignId, c.hashSeed) } : {}) };
}

/** The list's hash (./list-hash.ts) over its rows as they stream from the file. */
function hashList(store: Store, campaignId: number, seed: string): string {
  const hasher = listHasher(seed);
  for (const r of frozenList(store.sqlite, campaignId)) hasher.row(r.customer_id, r.address);
  return hasher.hex();
}

/** The recount unit of work: classify the live audience and compare it with the frozen list, changing nothing. */
export function measureDrift(store: Store, c: { campaignId: number; channel: Channel; where: SqlFragment; exclusions: ExclusionRule[] }): AudienceDrift {
  const { sqlite } = store;
  let d!: AudienceDrift;
  sqlite.transaction(() => {
    classifyAudience(sqlite, c.channel, c.where, c.exclusions);
    d = audienceDrift(sqlite, c.campaignId);
  }).immediate();
  dropAudience(sqlite);
  return d;
}
