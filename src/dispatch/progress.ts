/**
 * The progress of one send run, as the dispatcher reports it. A plain data shape with no
 * imports, so that what renders it (output/progress.ts) depends on nothing of the send loop.
 */
export interface Progress {
  sent: number;
  failed: number;
  unknown: number;
  skipped: number;
  retrying: number;
  inFlight: number;
  /** Rows still to send (pending, due or not). */
  remaining: number;
  /** Messages accepted per second over the last few seconds. */
  rate: number;
  /** The pace currently allowed (after throttling backoff); undefined when unlimited. */
  allowedRate?: number;
  bySender: Record<string, number>;
  elapsedMs: number;
}
