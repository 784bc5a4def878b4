/** The outcome buffer never loses an outcome the ledger refused; it writes it at the next flush. */
import { describe, expect, it } from 'vitest';
import type { Outcome } from '../../../src/db/ledger-contract.js';
import { isBusy } from '../../../src/db/faults.js';
import { OutcomeBuffer } from '../../../src/dispatch/outcome-buffer.js';
import { VirtualClock } from '../../support/virtual-clock.js';

const sent = (id: number): Outcome => ({ id, state: 'sent', providerMessageId: `m${id}` });
/** Lets a write the buffer started on its own finish. */
const settled = () => new Promise((resolve) => setImmediate(resolve));
const busy = () => Object.assign(new Error('database is locked'), { code: 'SQLITE_BUSY' });

describe('OutcomeBuffer', () => {
  it('flushes at its size, keeps a refused batch, and writes it whole once the ledger takes it', async () => {
    const written: number[][] = [];
    let refuse = false;
    const refusals: unknown[] = [];
    const ledger = {
      async record(o: Outcome[]) {
        if (refuse) throw busy();
        written.push(o.map((x) => x.id));
      },
    };
    const buffer = new OutcomeBuffer(ledger, new VirtualClock(), 3, (e) => refusals.push(e), Number.POSITIVE_INFINITY);
    buffer.push(sent(1));
    buffer.push(sent(2));
    expect(written).toEqual([]);
    buffer.push(sent(3));
    await settled();
    expect(written).toEqual([[1, 2, 3]]);
    refuse = true;
    for (const id of [4, 5, 6, 7]) {
      buffer.push(sent(id));
      await settled();
    }
    expect(buffer.length).toBe(4);
    expect(refusals.length).toBe(2);
    expect(refusals.every(isBusy)).toBe(true);
    refuse = false;
    expect(await buffer.flush()).toBe(true);
    expect(written).toEqual([[1, 2, 3], [4, 5, 6, 7]]);
    expect(buffer.length).toBe(0);
  });

  it('isBusy: the one test for "another process holds the lock"', () => {
    expect(isBusy(busy())).toBe(true);
    expect(isBusy(Object.assign(new Error('x'), { code: 'SQLITE_LOCKED' }))).toBe(true);
    expect(isBusy(Object.assign(new Error('x'), { code: 'SQLITE_FULL' }))).toBe(false);
    expect(isBusy(new Error('x'))).toBe(false);
    expect(isBusy(null)).toBe(false);
  });
});
