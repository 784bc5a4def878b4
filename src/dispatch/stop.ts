/** Why a send run ended, and the latch that keeps the first reason. */
export type StopKind =
  | 'completed' // nothing left to send
  | 'limit' // --limit reached; the rest stays pending
  | 'interrupted' // Ctrl-C / SIGTERM
  | 'paused' // content / fatal error or the error-rate breaker
  | 'daily_cap' // every sender reached its daily cap, or the provider's daily quota
  | 'waiting' // rows wait for a later time (retry backoff too long, quiet hours)
  | 'cancelled' // the campaign was cancelled: a claim found it so
  | 'database'; // the ledger could not be written (locked by another process for too long, I/O error)

export interface Stop {
  kind: StopKind;
  code?: string;
  reason?: string;
  /**
   * Rows already claimed still go out (a reached --limit or daily cap: they are within it);
   * otherwise (a signal, a pause, the database) a row still waiting for its send slot goes
   * back to `pending`, never sent.
   */
  claimedGo?: boolean;
}

/** The first reason to stop wins: a later interrupt does not hide a fatal error. */
export class StopLatch {
  stop: Stop | undefined;

  /** `claimedGo`: the rows already claimed still go out (see Stop); named, so a call site says so. */
  request(kind: StopKind, code?: string, reason?: string, opts: Pick<Stop, 'claimedGo'> = {}): void {
    if (!this.stop) this.stop = { kind, code, reason, ...(opts.claimedGo ? { claimedGo: true } : {}) };
  }
}
