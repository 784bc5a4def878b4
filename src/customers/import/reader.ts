/**
 * Starts the reading half of an import (./prepared.ts) on worker threads, so that parsing and
 * normalising the next rows overlaps writing these, and normalising goes on on two cores at
 * once (./shares.ts). From the TypeScript sources (the unit tests) there is no compiled worker
 * to start, and the same reader runs in-thread.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { openPrepared, type PreparedBatch, type PreparedSource, type ReadOptions } from './prepared.js';
import type { FromReader } from './reader-protocol.js';
import { inTurn, type ReaderMessages } from './shares.js';

export interface ReaderHandle extends PreparedSource {
  /** Stops the reader (early end: --strict, an error); safe to call twice. */
  close(): void;
}

const WORKER = new URL('./read-worker.js', import.meta.url);

/**
 * Reader threads for an import into `store`. Normalising (the phone and address rules) is most
 * of an import's reading, and rows do not depend on each other, so on PostgreSQL, where the
 * server does the writing, two threads share the file by batch (./shares.ts): each still parses
 * every line, a tenth of the work. On SQLite this thread writes, and a second reader only took
 * CPU from it (the 1M-row bench: 69,600 rows/s with one, 61,800 with two, on two cores).
 */
export function readerThreads(store: 'sqlite' | 'postgres'): number {
  return store === 'postgres' ? Math.min(2, availableParallelism()) : 1;
}

/** Opens `options.file` for reading on `threads` threads; resolves once the header (if any) was read and checked. */
export async function openReader(options: ReadOptions, threads = 1): Promise<ReaderHandle> {
  if (!existsSync(fileURLToPath(WORKER))) {
    const source = await openPrepared(options);
    return { ...source, close: () => {} };
  }
  return openWorkerReader(options, threads);
}

/** One reader thread: its messages in order, and a credit back per batch taken. */
class ReaderThread implements ReaderMessages {
  private readonly worker: Worker;
  private readonly queue: FromReader[] = [];
  private waiting?: () => void;
  private done = false;

  constructor(options: ReadOptions) {
    this.worker = new Worker(WORKER, { workerData: options });
    const push = (m: FromReader) => {
      this.queue.push(m);
      this.waiting?.();
    };
    this.worker.on('message', push);
    this.worker.on('error', (error) => push({ kind: 'error', error: { message: error.message, stack: error.stack } }));
    // messages posted before the worker stopped are delivered before 'exit': one that comes
    // without 'end' or 'error' first means the reader died, and the import must not look complete
    this.worker.on('exit', (code) => {
      if (!this.done) push({ kind: 'error', error: { message: `the import's reader thread stopped (exit code ${code}) before the end of the file` } });
    });
  }

  async next(): Promise<FromReader> {
    while (this.queue.length === 0) await new Promise<void>((resolve) => (this.waiting = resolve));
    this.waiting = undefined;
    const m = this.queue.shift()!;
    if (m.kind === 'end' || m.kind === 'error') this.done = true;
    return m;
  }

  credit(): void {
    this.worker.postMessage(0);
  }

  close(): void {
    this.done = true;
    void this.worker.terminate();
  }
}

async function openWorkerReader(options: ReadOptions, n: number): Promise<ReaderHandle> {
  const threads = Array.from({ length: n }, (_, index) => new ReaderThread(n > 1 ? { ...options, share: { index, of: n } } : options));
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    for (const t of threads) t.close();
  };
  let source: PreparedSource;
  try {
    source = await inTurn(threads);
  } catch (error) {
    close();
    throw error;
  }
  async function* batches(): AsyncGenerator<PreparedBatch> {
    try {
      yield* source.batches;
    } finally {
      close();
    }
  }
  return { header: source.header, batches: batches(), close };
}
