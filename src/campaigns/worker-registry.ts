/**
 * Several senders per campaign (PostgreSQL): the worker registry takes the place of the
 * single-holder lease (lease.ts). `holdWorker` registers this process, beats its heartbeat, and
 * at each beat removes the workers whose heartbeat expired and turns their `sending` rows into
 * `unknown` (as the next run would after a local crash), so a worker lost with its host does not
 * leave rows in flight for ever. A cancelled campaign, or this worker found dead by the others
 * (its row removed: it was silent past the expiry), aborts the run's signal, as the lease does.
 */
import os from 'node:os';
import type { PgStore } from '../db/pg/open.js';
import { beat, campaignCancelled, DEFAULT_WORKER_TTL_MS, deregisterWorker, reapDeadWorkers, registerWorker } from '../db/pg/workers.js';
import { heartbeatEveryMs } from './heartbeat.js';
import { heldRun, type HeldLease } from './lease.js';

export interface WorkerOptions {
  id: string;
  now: () => number;
  ttlMs?: number;
  signal?: AbortSignal;
  /** Turns the rows of workers no longer live into `unknown`; returns how many. */
  recover: () => Promise<number>;
  onNotice?: (message: string) => void;
}

export async function holdWorker(store: PgStore, campaign: { id: number; name: string }, opts: WorkerOptions): Promise<HeldLease> {
  const ttl = opts.ttlMs ?? DEFAULT_WORKER_TTL_MS;
  const started = opts.now();
  await registerWorker(store, { id: opts.id, campaignId: campaign.id, host: os.hostname(), pid: process.pid, startedAt: started }, started, campaign.name);
  const run = heldRun(opts.signal, async () => {
    clearInterval(heartbeat);
    await beating;
    // if even this fails the row simply expires, and the others reap it
    await deregisterWorker(store, opts.id).catch(() => {});
  });
  let beating: Promise<void> | undefined;
  const once = async () => {
    const now = opts.now();
    if (!(await beat(store, opts.id, now))) return run.stop('lease_lost');
    if (await campaignCancelled(store, campaign.id)) return run.stop('cancelled');
    const dead = await reapDeadWorkers(store, campaign.id, now, ttl);
    if (dead.length > 0) {
      const n = await opts.recover();
      opts.onNotice?.(`worker(s) ${dead.join(', ')} stopped beating; their ${n} in-flight recipient(s) are now "unknown" and will not be resent (use --retry-unknown to resend them)`);
    }
  };
  const heartbeat = setInterval(() => {
    // one beat at a time; a lost connection this once: the next beat tries again, well before expiry
    beating ??= once()
      .catch(() => {})
      .finally(() => {
        beating = undefined;
      });
  }, heartbeatEveryMs(ttl));
  return run.held;
}
