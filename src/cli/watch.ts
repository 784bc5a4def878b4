/**
 * `--watch`: reads a value every interval until it says it has stopped. On a terminal the
 * frame is redrawn in place (cursor back up over the last frame, clear below); without one
 * each reading is one more line, so a CI log shows the history instead of escape codes.
 */
export interface WatchOptions<T> {
  read(): T | Promise<T>;
  stopped(value: T): boolean;
  /** The full text for a terminal. */
  frame(value: T): string;
  /** One line for logs (or JSON Lines). */
  line(value: T): string;
  tty: boolean;
  write(text: string): void;
  intervalMs: number;
  signal?: AbortSignal;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Returns the last value read (the stopped one, or the one on screen when interrupted). */
export async function watch<T>(o: WatchOptions<T>): Promise<T> {
  let lines = 0;
  for (;;) {
    const value = await o.read();
    if (o.tty) {
      const text = o.frame(value);
      // back to the first line of the previous frame, erase it and everything below
      o.write((lines ? `\u001b[${lines}F\u001b[0J` : '') + text);
      lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
    } else o.write(o.line(value));
    if (o.stopped(value) || o.signal?.aborted) return value;
    await sleep(o.intervalMs, o.signal);
    if (o.signal?.aborted) return value;
  }
}
