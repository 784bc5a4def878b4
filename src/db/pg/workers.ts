/**
 * The worker registry (PostgreSQL): where the SQLite store has one lease per campaign, several
 * `campaign send` workers register here, renew a heartbeat, and see each other. A worker whose
 * heartbeat is older than the expiry is dead, wherever it ran: the live ones remove its row and
 * turn its `sending` rows into `unknown` (PostgresLedger.recoverInFlight), as after a crash.
 */
import type { PgStore } from './open.js';

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

export async function registerWorker(store: PgStore, w: Omit<WorkerRow, 'heartbeatAt'>, now: number): Promise<void> {
  await store.pool.query('INSERT INTO workers (id, campaign_id, host, pid, started_at, heartbeat_at) VALUES ($1, $2, $3, $4, $5, $6)', [w.id, w.campaignId, w.host, w.pid, w.startedAt, now]);
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
