/**
 * The live senders of a campaign, as `campaign status` lists them: on PostgreSQL the worker
 * registry (every worker whose heartbeat has not expired), on SQLite the one lease holder.
 */
import { leaseHolder } from '../db/campaigns.js';
import type { PgStore } from '../db/pg/open.js';
import { liveWorkers } from '../db/pg/workers.js';
import type { Store } from '../db/open.js';

export interface WorkerView {
  id: string;
  host: string;
  pid: number | null;
  started_at: string | null;
  heartbeat_at: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function liveWorkersOf(deps: { store?: Store; pg?: PgStore }, campaignId: number, now: number): Promise<WorkerView[]> {
  if (deps.pg) {
    return (await liveWorkers(deps.pg, campaignId, now)).map((w) => ({ id: w.id, host: w.host, pid: w.pid, started_at: iso(w.startedAt), heartbeat_at: iso(w.heartbeatAt) }));
  }
  if (!deps.store) return [];
  const holder = leaseHolder(deps.store, campaignId, now);
  if (!holder) return [];
  // the lease owner is host:pid:random (lease.ts)
  const [host = '', pid] = holder.owner.split(':');
  return [{ id: holder.owner, host, pid: Number(pid) || null, started_at: null, heartbeat_at: null }];
}
