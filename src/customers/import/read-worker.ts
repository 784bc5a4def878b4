/**
 * The worker thread of `customers import` (started by ./reader.ts): reads, parses and
 * normalises the file (./prepared.ts) and posts the rows in batches. It runs at most `CREDITS`
 * batches ahead of the writer, which returns a credit per batch applied, so memory stays flat
 * however fast the file parses and however slowly the store writes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openPrepared, type ReadOptions } from './prepared.js';
import { CREDITS, errorToWire, type FromReader } from './reader-protocol.js';

const port = parentPort!;
const post = (message: FromReader) => port.postMessage(message);
let credits = CREDITS;
let wake: (() => void) | undefined;
port.on('message', () => {
  credits++;
  wake?.();
});

try {
  const source = await openPrepared(workerData as ReadOptions);
  post({ kind: 'header', header: source.header });
  for await (const batch of source.batches) {
    while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    credits--;
    post({ kind: 'rows', batch: JSON.stringify(batch) });
  }
  post({ kind: 'end' });
} catch (error) {
  post({ kind: 'error', error: errorToWire(error) });
}
port.close();
