/**
 * Outcomes waiting to be written to the ledger in one short transaction. Rows claimed but not
 * yet recorded are what a crash would turn into `unknown`: the buffer keeps that number near
 * `size` (the concurrency) by flushing at that size or every `maxAgeMs`.
 *
 * A write the ledger refused (another process holding the lock past busy_timeout, an I/O
 * error) must not lose outcomes: they stay buffered and are written at the next flush.
 * Writes are asynchronous (the ledger may be a server) and never overlap: a flush asked for
 * while one is being written waits for it, then writes what gathered meanwhile, so outcomes
 * reach the ledger in the order they were decided.
 */
import type { Ledger, Outcome } from '../db/ledger-contract.js';
import type { Clock } from './clock.js';

export const FLUSH_MS = 20;

export class OutcomeBuffer {
  private buffer: Outcome[] = [];
  private lastFlush: number;
  /** The write in progress, if any. */
  private writing: Promise<boolean> | undefined;

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
    if (this.buffer.length >= this.size || this.clock.now() - this.lastFlush >= this.maxAgeMs) void this.flush();
  }

  /** Writes what is buffered; false when the ledger refused (nothing was lost: it stays buffered). */
  flush(): Promise<boolean> {
    if (this.writing) return this.writing.then(() => this.flush());
    if (this.buffer.length === 0) return Promise.resolve(true);
    const batch = this.buffer;
    this.buffer = [];
    const write = async (): Promise<boolean> => {
      try {
        await this.ledger.record(batch, this.clock.now());
      } catch (error) {
        // kept whole, ahead of what was pushed while it was being written
        this.buffer = batch.concat(this.buffer);
        this.onRefused(error);
        return false;
      } finally {
        this.writing = undefined;
      }
      this.lastFlush = this.clock.now();
      return true;
    };
    this.writing = write();
    return this.writing;
  }
}
