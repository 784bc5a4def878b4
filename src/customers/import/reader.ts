/**
 * Starts the reading half of an import (./prepared.ts) on a worker thread, so that parsing and
 * normalising the next rows overlaps writing these: on two cores the import then runs at the
 * speed of whichever half is slower instead of the sum of both. From the TypeScript sources
 * (the unit tests) there is no compiled worker to start, and the same reader runs in-thread.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { openPrepared, type PreparedBatch, type PreparedSource, type ReadOptions } from './prepared.js';
import { errorFromWire, type FromReader } from './reader-protocol.js';

export interface ReaderHandle extends PreparedSource {
  /** Stops the reader (early end: --strict, an error); safe to call twice. */
  close(): void;
}

const WORKER = new URL('./read-worker.js', import.meta.url);

/** Opens `options.file` for reading; resolves once the header (if any) was read and checked. */
export async function openReader(options: ReadOptions): Promise<ReaderHandle> {
  if (!existsSync(fileURLToPath(WORKER))) {
    const source = await openPrepared(options);
    return { ...source, close: () => {} };
  }
  return openWorkerReader(options);
}

async function openWorkerReader(options: ReadOptions): Promise<ReaderHandle> {
  const worker = new Worker(WORKER, { workerData: options });
  const queue: FromReader[] = [];
  let waiting: (() => void) | undefined;
  const push = (m: FromReader) => {
    queue.push(m);
    waiting?.();
  };
  worker.on('message', push);
  worker.on('error', (error) => push({ kind: 'error', error: { message: error.message, stack: error.stack } }));
  // messages posted before the worker stopped are delivered before 'exit': one that comes
  // without 'end' or 'error' first means the reader died, and the import must not look complete
  let done = false;
  worker.on('exit', (code) => {
    if (!done) push({ kind: 'error', error: { message: `the import's reader thread stopped (exit code ${code}) before the end of the file` } });
  });
  const next = async (): Promise<FromReader> => {
    while (queue.length === 0) await new Promise<void>((resolve) => (waiting = resolve));
    waiting = undefined;
    const m = queue.shift()!;
    if (m.kind === 'end' || m.kind === 'error') done = true;
    return m;
  };
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = done = true;
    void worker.terminate();
  };

  const first = await next();
  if (first.kind === 'error') {
    close();
    throw errorFromWire(first.error);
  }
  const header = first.kind === 'header' ? first.header : undefined;

  async function* batches(): AsyncGenerator<PreparedBatch> {
    try {
      for (;;) {
        const m = await next();
        if (m.kind === 'rows') {
          yield JSON.parse(m.batch) as PreparedBatch;
          worker.postMessage(0); // a credit: the writer has applied this batch
        } else if (m.kind === 'error') throw errorFromWire(m.error);
        else return;
      }
    } finally {
      close();
    }
  }
  return { header, batches: batches(), close };
}
