/**
 * One sender process per campaign: the send lease. `holdLease` takes it (or refuses with
 * `campaign_busy`), renews it on a heartbeat, notices a cancel or a take-over at each beat and
 * aborts the run's signal, and releases it at the end. A lease left by a dead process on this
 * host is taken at once; one left by another host waits for its expiry.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { acquireLease, campaignStateOf, releaseLease, renewLease } from '../db/campaigns.js';
import { whenFree } from '../db/faults.js';
import type { Store } from '../db/open.js';
import { ResumableStop } from '../errors.js';

import { DEFAULT_LEASE_TTL_MS, heartbeatEveryMs } from './heartbeat.js';

export { DEFAULT_LEASE_TTL_MS, heartbeatEveryMs } from './heartbeat.js';

/** `host:pid:random`: unique per run, and tells a later run on this host whether the holder lives. */
export function leaseOwner(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** A lease left by a process on this host that no longer exists can be taken at once (kill -9). */
export function ownerIsDead(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export interface HeldLease {
  /** Aborts when the user stops the run, the campaign is cancelled, or the lease is lost. */
  readonly signal: AbortSignal;
  /** Why the lease stopped the run, if it did. */
  readonly stopCause: 'cancelled' | 'lease_lost' | undefined;
  /** Stops the heartbeat and gives the lease back (if even that fails, it simply expires). */
  release(): Promise<void>;
}

/**
 * The stop side of a held right to send (lease or worker slot): a signal that aborts when the
 * user stops the run or the holder aborts it with a cause, and the HeldLease built around it.
 */
export function heldRun(userSignal: AbortSignal | undefined, release: () => Promise<void>) {
  const stopper = new AbortController();
  let stopCause: HeldLease['stopCause'];
  let released: Promise<void> | undefined;
  const onUserAbort = () => stopper.abort();
  userSignal?.addEventListener('abort', onUserAbort, { once: true });
  if (userSignal?.aborted) stopper.abort();
  const held: HeldLease = {
    signal: stopper.signal,
    get stopCause() {
      return stopCause;
    },
    // once, however often asked (a worker leaves before it decides, and again on the way out)
    release() {
      userSignal?.removeEventListener('abort', onUserAbort);
      return (released ??= release());
    },
  };
  return {
    held,
    stop(cause: NonNullable<HeldLease['stopCause']>) {
      stopCause = cause;
      stopper.abort();
    },
  };
}

export function holdLease(
  store: Store,
  campaign: { id: number; name: string },
  opts: { now: () => number; ttlMs?: number; signal?: AbortSignal },
): HeldLease {
  const owner = leaseOwner();
  const ttl = opts.ttlMs ?? DEFAULT_LEASE_TTL_MS;
  const lease = acquireLease(store, campaign.id, owner, opts.now(), ttl, ownerIsDead);
  if (!lease.ok) {
    throw new ResumableStop('campaign_busy', `campaign "${campaign.name}" is being sent by another process (${lease.holder.owner}); not sending alongside it`, {
      hint: `wait for it to finish, or run again after ${new Date(lease.holder.expiresAt).toISOString()} if that process died`,
    });
  }
  const run = heldRun(opts.signal, async () => {
    clearInterval(heartbeat);
    await whenFree(() => releaseLease(store, campaign.id, owner)).catch(() => {});
  });
  const heartbeat = setInterval(() => {
    try {
      if (!renewLease(store, campaign.id, owner, opts.now(), ttl)) run.stop('lease_lost');
      else if (campaignStateOf(store, campaign.id) === 'cancelled') run.stop('cancelled');
    } catch {
      // a busy database this once: the next beat tries again, well before the lease runs out
    }
  }, heartbeatEveryMs(ttl));
  return run.held;
}
