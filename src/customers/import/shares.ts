/**
 * Several reader threads reading one file (./reader.ts): what each says, and how the writer
 * takes their batches back in file order. Each thread reads the whole file but normalises only
 * its share of the batches (`ReadOptions.share`: batch i is thread i % n's), so taking one
 * batch from each thread in turn gives the file's batches in order. Every thread meets a
 * structural error at the same row; the thread whose turn it is when the error comes reports
 * it, after the rows before it, exactly as one thread would.
 */
import { openPrepared, type PreparedBatch, type PreparedSource, type ReadOptions } from './prepared.js';
import { errorFromWire, errorToWire, type FromReader } from './reader-protocol.js';

/** What one reader says, in order: the header, its batches, then the end or an error. */
export async function* readerMessages(options: ReadOptions): AsyncGenerator<FromReader> {
  try {
    const source = await openPrepared(options);
    yield { kind: 'header', header: source.header };
    for await (const batch of source.batches) yield { kind: 'rows', batch: JSON.stringify(batch) };
    yield { kind: 'end' };
  } catch (error) {
    yield { kind: 'error', error: errorToWire(error) };
  }
}

/** One reader as the writer sees it: its next message, and a credit back per batch taken. */
export interface ReaderMessages {
  next(): Promise<FromReader>;
  credit(): void;
}

/**
 * The file as one source, from readers that each read their share (`share: { index, of }`,
 * index = their place in `readers`). Resolves once every reader has read the header; the
 * first one's header stands for all.
 */
export async function inTurn(readers: readonly ReaderMessages[]): Promise<PreparedSource> {
  const firsts = await Promise.all(readers.map((r) => r.next()));
  const failed = firsts.find((m) => m.kind === 'error');
  if (failed?.kind === 'error') throw errorFromWire(failed.error);
  const first = firsts[0]!;
  async function* batches(): AsyncGenerator<PreparedBatch> {
    for (let i = 0; ; i++) {
      const reader = readers[i % readers.length]!;
      const m = await reader.next();
      if (m.kind === 'rows') {
        yield JSON.parse(m.batch) as PreparedBatch;
        reader.credit(); // the writer has applied this batch
      } else if (m.kind === 'error') throw errorFromWire(m.error);
      else return;
    }
  }
  return { header: first.kind === 'header' ? first.header : undefined, batches: batches() };
}
