/**
 * Several readers sharing one file (src/customers/import/shares.ts): taken in turn, their
 * batches must be exactly the batches one reader gives — the same rows, values, warnings and
 * rejects in the same order — and a structural error must come after the same rows, with the
 * same message, whichever reader's batch it falls in. The readers here run in this thread
 * (the worker threads run the same `readerMessages`); files span several batches (BATCH rows
 * each) with bad values, rejected rows and a broken line at any place.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { BATCH, openPrepared, type PreparedBatch, type PreparedSource, type ReadOptions } from '../../../src/customers/import/prepared.js';
import { inTurn, readerMessages, type ReaderMessages } from '../../../src/customers/import/shares.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-reader-shares-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Everything a source gives: its header, its batches, and the error it ends with (if any). */
async function drain(open: () => Promise<PreparedSource>): Promise<{ header?: string[]; batches: PreparedBatch[]; error?: string }> {
  const batches: PreparedBatch[] = [];
  let source: PreparedSource;
  try {
    source = await open();
  } catch (e) {
    return { batches, error: (e as Error).message };
  }
  try {
    for await (const b of source.batches) batches.push(JSON.parse(JSON.stringify(b)) as PreparedBatch);
  } catch (e) {
    return { header: source.header, batches, error: (e as Error).message };
  }
  return { header: source.header, batches };
}

/** `n` readers of `options`, each with its share, in this thread. */
function shared(options: ReadOptions, n: number): ReaderMessages[] {
  return Array.from({ length: n }, (_, index) => {
    const messages = readerMessages({ ...options, share: { index, of: n } });
    let credits = 0;
    return {
      next: async () => (await messages.next()).value ?? { kind: 'end' },
      credit: () => void credits++,
    };
  });
}

let files = 0;
/** Row i of a CSV: some with a bad email or country (a warning), some with too many cells (rejected). */
const csvRow = (i: number) => (i % 97 === 5 ? `c${i},x,y,z,extra` : `c${i},${i % 13 === 0 ? 'not-an-email' : `p${i}@example.com`},${i % 11 === 0 ? 'XX' : 'DE'},${i}`);
const jsonRow = (i: number) => (i % 89 === 3 ? '' : JSON.stringify({ external_id: `c${i}`, email: i % 7 === 0 ? 'bad' : `p${i}@example.com`, n: i }));

describe('readers sharing a file by batch', () => {
  it('give the batches one reader gives, in order, with a broken line anywhere', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 * BATCH + 3 }),
        fc.integer({ min: 2, max: 3 }),
        fc.option(fc.integer({ min: 0, max: 4 * BATCH + 3 }), { nil: undefined }),
        fc.constantFrom('csv' as const, 'jsonl' as const),
        async (rows, n, brokenAt, format) => {
          const lines: string[] = format === 'csv' ? ['id,email,country,score'] : [];
          for (let i = 0; i < rows; i++) {
            if (i === brokenAt) lines.push(format === 'csv' ? '"never closed,x' : '{"external_id": ');
            lines.push(format === 'csv' ? csvRow(i) : jsonRow(i));
          }
          const file = path.join(dir, `f${++files}.${format}`);
          writeFileSync(file, lines.join('\n') + '\n');
          const options: ReadOptions = { file, format };
          const one = await drain(() => openPrepared(options));
          const many = await drain(() => inTurn(shared(options, n)));
          expect(many).toEqual(one);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('a file that cannot be opened fails the same way (nothing to share)', async () => {
    const options: ReadOptions = { file: path.join(dir, 'missing.csv'), format: 'csv' };
    const one = await drain(() => openPrepared(options));
    expect(one.error).toBeDefined();
    expect(await drain(() => inTurn(shared(options, 2)))).toEqual(one);
  });
});
