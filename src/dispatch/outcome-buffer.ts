/**
 * Outcomes waiting to be written to the ledger in one short transaction. Rows claimed but not
 * yet recorded are what a crash would turn into `unknown`: the buffer keeps that number near
 * `size` (the concurrency) by flushing at that size or every `maxAgeMs`.
 *
 * A write the ledger refused (another process holding the lock past busy_timeout, an I/O
 * error) must not lose outcomes: they stay buffered and are written at the next flush.
 */
import type { Ledger, Outcome } from '../db/ledger-contract.js';
import type { Clock } from './clock.js';

export const FLUSH_MS = 20;

export class OutcomeBuffer {
  private buffer: Outcome[] = [];
  private lastFlush: number;

  constructor(
    private readonly ledger: Pick<Ledger, 'record'>,
    private readonly clock: Clock,
    private readonly size: number,
    /** Told of each refused write (the outcomes stay buffered). */
    private readonly onRefused: (error: unknown) => void,
    private readonly maxAgeMs = FLUSH_MS,
  ) {
    this.lastFlush = clock.now();
  }

  get length(): number {
    return this.buffer.length;
  }

  push(o: Outcome): void {
    this.buffer.push(o);
    if (this.buffer.length >= this.size || this.clock.now() - this.lastFlush >= this.maxAgeMs) this.flush();
  }

  /** Writes what is buffered; false when the ledger refused (nothing was lost). */
  flush(): boolean {
    if (this.buffer.length === 0) return true;
    try {
      this.ledger.record(this.buffer, this.clock.now());
    } catch (error) {
      this.onRefused(error);
      return false;
    }
    this.buffer = [];
    this.lastFlush = this.clock.now();
    return true;
  }
}
