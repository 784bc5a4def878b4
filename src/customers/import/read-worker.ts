/**
 * The worker thread of `customers import` (started by ./reader.ts): reads, parses and
 * normalises the file, or its share of it (./shares.ts), and posts the rows in batches. It runs
 * at most `CREDITS` batches ahead of the writer, which returns a credit per batch applied, so
 * memory stays flat however fast the file parses and however slowly the store writes.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ReadOptions } from './prepared.js';
import { CREDITS } from './reader-protocol.js';
import { readerMessages } from './shares.js';

const port = parentPort!;
let credits = CREDITS;
let wake: (() => void) | undefined;
port.on('message', () => {
  credits++;
  wake?.();
});

for await (const message of readerMessages(workerData as ReadOptions)) {
  if (message.kind === 'rows') {
    while (credits === 0) await new Promise<void>((resolve) => (wake = resolve));
    credits--;
  }
  port.postMessage(message);
}
port.close();
