/**
 * A virtual clock for the send loop: `sleep` registers a timer, and when the event loop has
 * been idle for two turns (everything woken by the last timer has run, including the
 * dispatcher's waker) time jumps to the earliest timer. Minutes of backoff pass in
 * milliseconds, and every run is the same.
 */
import type { Clock } from '../../src/dispatch/clock.js';

interface Timer {
  at: number;
  fire: () => void;
}

export class VirtualClock implements Clock {
  private timers: Timer[] = [];
  private scheduled = false;
  /** How many times time jumped (a bound for runaway loops in tests). */
  jumps = 0;

  constructor(private t = Date.UTC(2025, 0, 1, 12)) {}

  readonly now = (): number => this.t;

  sleep(ms: number, cancel?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      if (cancel?.aborted) return resolve();
      const timer: Timer = {
        at: this.t + Math.max(0, ms),
        fire: () => {
          cancel?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      cancel?.addEventListener('abort', onAbort, { once: true });
      this.timers.push(timer);
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() =>
      setImmediate(() => {
        this.scheduled = false;
        if (this.timers.length === 0) return;
        if (++this.jumps > 1_000_000) throw new Error('virtual clock: runaway loop');
        const at = Math.min(...this.timers.map((x) => x.at));
        this.t = Math.max(this.t, at);
        const due = this.timers.filter((x) => x.at <= this.t);
        this.timers = this.timers.filter((x) => x.at > this.t);
        if (this.timers.length > 0) this.schedule();
        for (const x of due) x.fire();
      }),
    );
  }
}
