/**
 * The sender heartbeat's timing, apart from the lease and the worker registry (which both beat)
 * so that `campaign cancel` can say how long a cancel takes without loading either.
 */

/** A sender (lease holder or worker) silent this long counts as dead (MKT_WORKER_TTL_S overrides it). */
export const DEFAULT_LEASE_TTL_MS = 30_000;

/** How often a sender beats (a sixth of the expiry): also how long a cancel takes to reach a waiting sender. */
export function heartbeatEveryMs(ttlMs = DEFAULT_LEASE_TTL_MS): number {
  return Math.max(50, Math.floor(ttlMs / 6));
}
