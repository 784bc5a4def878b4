/**
 * The send loop's alarm clock: the loop waits on it, and a completion or an abort wakes it
 * early. The wake-up runs on the next turn of the event loop, so that completions arriving
 * together (one I/O callback each) free their slots before the loop claims again: one claim
 * transaction per batch, not per message (claiming one row per completion cost ~4x the CPU
 * per message).
 */
import type { Clock } from './clock.js';

export class Waker {
  private wakeUp: (() => void) | undefined;
  private queued = false;

  constructor(private readonly clock: Clock) {}

  /** Ends the current wait soon (coalesced: many calls in one turn wake the loop once). */
  readonly wake = (): void => {
    if (this.queued) return;
    this.queued = true;
    setImmediate(() => {
      this.queued = false;
      const w = this.wakeUp;
      this.wakeUp = undefined;
      w?.();
    });
  };

  /** Waits `ms` on the clock, or until woken. */
  async wait(ms: number): Promise<void> {
    const cancel = new AbortController();
    this.wakeUp = () => cancel.abort();
    await this.clock.sleep(ms, cancel.signal);
    this.wakeUp = undefined;
  }
}
