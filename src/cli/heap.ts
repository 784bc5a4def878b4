/**
 * Heap sizing for long sends. A send allocates ~100 KB per message (the rendered HTML, its text,
 * Liquid's intermediate strings) that die within milliseconds, and its live heap stays ~40 MB
 * however long the list. V8's default heap growth still lets the old generation climb to 3-4x
 * the live size between full collections when collecting is cheap, which made a
 * 1,000,000-recipient send peak near 300 MB of RSS against ~160 MB for 10,000 (BENCHMARKS.md).
 * Growing the heap by at most 30% over the live size after each full collection keeps the
 * peak near the small-list figure for the price of more frequent, short (5-15 ms) full
 * collections; the send bench measured no throughput loss.
 * `--heap-growing-percent` is read at every collection, so setting it at run time takes effect.
 */
import v8 from 'node:v8';

const SEND_HEAP_GROWING_PERCENT = 30;

export function favourSmallHeap(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${SEND_HEAP_GROWING_PERCENT}`);
}
