/**
 * What a send run needs from its store, picked by the store's kind: the ledger, the right to
 * send, and how a storage stop becomes an error.
 * - SQLite: `SqliteLedger` and the single-holder lease (a second sender exits 75, campaign_busy).
 * - PostgreSQL: `PostgresLedger` and the worker registry (several workers drain one campaign;
 *   each claim records the worker, a dead worker's rows become unknown once its heartbeat expires).
 */
import type { Channel } from '../channels.js';
import { faultError, faultOfCode, PERMISSION_DENIED, permissionDenied } from '../db/faults.js';
import { connectionLostNotice, unavailableHint } from '../db/connection-errors.js';
import type { Ledger } from '../db/ledger-contract.js';
import { openLedger } from '../db/ledger.js';
import { UnavailableError, type MktError } from '../errors.js';
import type { CampaignDeps } from './deps.js';
import { holdLease, leaseOwner, type HeldLease } from './lease.js';

export interface SendBackend {
  kind: 'sqlite' | 'postgres';
  ledger: Ledger;
  /** Takes the right to send (refuses with campaign_busy on SQLite when another sender holds it). */
  hold(opts: { now: () => number; ttlMs?: number; signal?: AbortSignal }): Promise<HeldLease>;
  /** The typed error of a storage stop code, when it is not simply resumable. */
  storageFault(code: string | undefined, reason: string): MktError | undefined;
  /**
   * How many other live workers are on the campaign (PostgreSQL; never any on SQLite, one
   * sender): rows still `sending` when this run ends are then theirs, in flight, not stranded,
   * and the campaign's state is theirs to decide.
   */
  otherWorkers(now: number, ttlMs?: number): Promise<number>;
  /**
   * Leaves the right to send before the run decides the campaign's state: on PostgreSQL the
   * worker leaves the registry first, so of workers ending together the last to leave sees no
   * other and decides; on SQLite the lease is kept until the state is written (a next sender
   * must not start in between).
   */
  leave(lease: HeldLease): Promise<void>;
}

export async function sendBackend(
  deps: Pick<CampaignDeps, 'store' | 'pg' | 'repos'>,
  campaign: { id: number; name: string; channel: Channel },
  provider: string,
  onNotice?: (message: string) => void,
): Promise<SendBackend> {
  if (deps.pg) {
    const pg = deps.pg;
    // loaded for a PostgreSQL store only: an SQLite send never loads the PostgreSQL modules
    const [{ PostgresLedger }, { holdWorker }, { liveWorkers }] = await Promise.all([import('../db/pg/ledger.js'), import('./worker-registry.js'), import('../db/pg/workers.js')]);
    const id = leaseOwner();
    const ledger = new PostgresLedger(pg, campaign.id, campaign.channel, provider, {
      workerId: id,
      onConnection: (state, error) => onNotice?.(state === 'lost' ? connectionLostNotice(error) : 'reconnected to PostgreSQL; resuming'),
    });
    return {
      kind: 'postgres',
      ledger,
      hold: (opts) => holdWorker(pg, campaign, { ...opts, id, recover: () => ledger.recoverInFlight(opts.now()), onNotice }),
      storageFault: (code, reason) =>
        code === 'db_unreachable'
          ? new UnavailableError('db_unreachable', `stopped: ${reason}`, { hint: unavailableHint(reason) })
          : code === PERMISSION_DENIED
            ? permissionDenied(reason)
            : undefined,
      otherWorkers: async (now, ttlMs) => (await liveWorkers(pg, campaign.id, now, ttlMs)).filter((w) => w.id !== id).length,
      leave: (lease) => lease.release(),
    };
  }
  const store = deps.store;
  if (!store) throw new Error('a send needs a SQLite store or a PostgreSQL one');
  return {
    kind: 'sqlite',
    ledger: openLedger(store, { id: campaign.id, channel: campaign.channel, provider }),
    hold: async (opts) => holdLease(store, campaign, opts),
    storageFault: (code, reason) => {
      const fault = faultOfCode(code);
      return fault && fault !== 'locked' ? faultError(fault, store.path, reason) : undefined;
    },
    otherWorkers: async () => 0,
    leave: async () => {},
  };
}
