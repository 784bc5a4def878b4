/**
 * The worker registry (PostgreSQL): where the SQLite store has one lease per campaign, several
 * `campaign send` workers register here, renew a heartbeat, and see each other. A worker whose
 * heartbeat is older than the expiry is dead, wherever it ran: the live ones remove its row and
 * turn its `sending` rows into `unknown` (PostgresLedger.recoverInFlight), as after a crash.
 */
import type pg from 'pg';
import { ResumableStop } from '../../errors.js';
import type { PgStore } from './open.js';
import { inTransaction } from './transaction.js';

/** A worker silent this long is dead: several missed beats (a beat is every ttl/6). */
export const DEFAULT_WORKER_TTL_MS = 30_000;

/** The ids of a campaign's live workers: `$campaign` and `$since` are placeholders. */
export const LIVE_WORKERS_SQL = (campaign: string, since: string) => `SELECT w.id FROM workers w WHERE w.campaign_id = ${campaign} AND w.heartbeat_at > ${since}`;

export interface WorkerRow {
  id: string;
  campaignId: number;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
}

/**
 * The advisory lock (two-int key space: 'mkt' and 3) between `db copy` and starting workers: a
 * copy into (or out of) the database holds it exclusively from its check for live workers to
 * its commit, and a worker registers under it shared, so no worker starts between the check and
 * the replace (or during the read of a source).
 */
export const COPY_LOCK = [0x6d6b74, 3] as const;

/**
 * Registers a worker, under the copy lock (shared: workers do not wait for each other), and only
 * while its campaign is still the one it read (id and name): a `db copy --replace` that
 * committed while this worker was starting has replaced what it read, so it stops (75) and
 * the next run starts from what the database now holds.
 */
export async function registerWorker(store: PgStore, w: Omit<WorkerRow, 'heartbeatAt'>, now: number, campaignName: string): Promise<void> {
  const added = await inTransaction(store.pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock_shared($1, $2)', [...COPY_LOCK]);
    const r = await client.query(
      `INSERT INTO workers (id, campaign_id, host, pid, started_at, heartbeat_at)
       SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM campaigns WHERE id = $2 AND name = $7)`,
      [w.id, w.campaignId, w.host, w.pid, w.startedAt, now, campaignName],
    );
    return (r.rowCount ?? 0) > 0;
  });
  if (!added) {
    throw new ResumableStop('store_replaced', `campaign "${campaignName}" is no longer in the database as this worker read it (replaced by \`mkt db copy --replace\` meanwhile?); nothing sent`, {
      hint: 'run the send again: it starts from what the database holds now',
    });
  }
}

/** A live worker of any campaign, with its campaign's name (`db copy` refuses while there is one). */
export interface LiveWorker {
  id: string;
  campaign: string;
}

/** Every live worker of the database, oldest first: the copy's check (inside its transaction, under COPY_LOCK). */
export async function liveWorkersOfDatabase(client: Pick<pg.PoolClient, 'query'>, now: number, ttlMs = DEFAULT_WORKER_TTL_MS): Promise<LiveWorker[]> {
  const { rows } = await client.query<LiveWorker>(
    `SELECT w.id, coalesce(c.name, '#' || w.campaign_id) AS campaign FROM workers w LEFT JOIN campaigns c ON c.id = w.campaign_id
     WHERE w.heartbeat_at > $1 ORDER BY w.started_at, w.id`,
    [now - ttlMs],
  );
  return rows;
}

/** Renews a heartbeat; false when the row is gone (another worker declared this one dead). */
export async function beat(store: PgStore, id: string, now: number): Promise<boolean> {
  const r = await store.pool.query('UPDATE workers SET heartbeat_at = $2 WHERE id = $1', [id, now]);
  return (r.rowCount ?? 0) > 0;
}

export async function deregisterWorker(store: PgStore, id: string): Promise<void> {
  await store.pool.query('DELETE FROM workers WHERE id = $1', [id]);
}

/** Removes the campaign's workers whose heartbeat expired; returns their ids. */
export async function reapDeadWorkers(store: PgStore, campaignId: number, now: number, ttlMs = DEFAULT_WORKER_TTL_MS): Promise<string[]> {
  const { rows } = await store.pool.query<{ id: string }>('DELETE FROM workers WHERE campaign_id = $1 AND heartbeat_at <= $2 RETURNING id', [campaignId, now - ttlMs]);
  return rows.map((r) => r.id);
}

/** The campaign's live workers, oldest first (`campaign status`). */
export async function liveWorkers(store: PgStore, campaignId: number, now: number, ttlMs = DEFAULT_WORKER_TTL_MS): Promise<WorkerRow[]> {
  const { rows } = await store.pool.query<WorkerRow>(
    `SELECT id, campaign_id AS "campaignId", host, pid, started_at AS "startedAt", heartbeat_at AS "heartbeatAt"
     FROM workers WHERE campaign_id = $1 AND heartbeat_at > $2 ORDER BY started_at, id`,
    [campaignId, now - ttlMs],
  );
  return rows;
}

/** Whether the campaign's state is `cancelled` (checked at each beat, as the SQLite lease does). */
export async function campaignCancelled(store: PgStore, campaignId: number): Promise<boolean> {
  const { rows } = await store.pool.query<{ state: string }>('SELECT state FROM campaigns WHERE id = $1', [campaignId]);
  return rows[0]?.state === 'cancelled';
}
