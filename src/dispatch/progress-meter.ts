/**
 * The progress meter of a run: counts what is left, measures the recent send rate over a
 * sliding window, and reports to `onProgress` at most every `everyMs` (unless forced).
 */
import type { Clock } from './clock.js';
import type { Progress } from './progress.js';

/** The run's counters the meter reads when it reports. */
export interface RunCounters {
  sent: number;
  failed: number;
  unknown: number;
  skipped: number;
  retried: number;
  bySender: Record<string, number>;
}

const WINDOW_MS = 5000;

export class ProgressMeter {
  private readonly recentSends: number[] = [];
  private lastReport = 0;

  constructor(
    private readonly clock: Clock,
    private readonly started: number,
    /** Rows still to send at the start (pending, due or not). */
    public remaining: number,
    private readonly read: () => RunCounters & { inFlight: number; allowedRate?: number },
    private readonly onProgress?: (p: Progress) => void,
    private readonly everyMs = 200,
  ) {}

  /** One message accepted now (it counts towards the rate and leaves `remaining`). */
  sentOne(): void {
    this.remaining--;
    this.recentSends.push(this.clock.now());
  }

  /** Rows settled without a send (failed, unknown, skipped): they leave `remaining`. */
  settled(n = 1): void {
    this.remaining -= n;
  }

  snapshot(): Progress {
    const t = this.clock.now();
    while (this.recentSends.length && this.recentSends[0]! < t - WINDOW_MS) this.recentSends.shift();
    const window = Math.min(WINDOW_MS, Math.max(1, t - this.started));
    const c = this.read();
    return {
      sent: c.sent,
      failed: c.failed,
      unknown: c.unknown,
      skipped: c.skipped,
      retrying: c.retried,
      inFlight: c.inFlight,
      remaining: this.remaining,
      rate: (this.recentSends.length * 1000) / window,
      allowedRate: c.allowedRate,
      bySender: { ...c.bySender },
      elapsedMs: t - this.started,
    };
  }

  /** Reports if `everyMs` has passed since the last report (or always when forced). */
  maybeReport(force = false): void {
    if (!this.onProgress) return;
    const t = this.clock.now();
    if (force || t - this.lastReport >= this.everyMs) {
      this.lastReport = t;
      this.onProgress(this.snapshot());
    }
  }
}
