/**
 * A reader that goes away is not an error. `mkt customers list | head -1` closes the pipe after
 * one line; the next write fails with EPIPE, which Node raises as an unhandled 'error' event
 * (a stack trace and exit 1). git and gh end quietly instead, and so does mkt: the broken
 * stream swallows the rest of its output and the command finishes with its own exit code. A
 * send in progress keeps going (stderr is only talk), so a closed pipe never abandons a run.
 * Installed once, by the CLI entry (bin/mkt.js), on the real process streams.
 */
type Stream = NodeJS.WriteStream;

export function quietOnBrokenPipe(streams: Stream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') throw err;
      // nobody reads any more: later writes succeed at once without a syscall (callbacks still run)
      stream.write = ((_chunk: unknown, enc?: unknown, cb?: unknown) => {
        const done = typeof enc === 'function' ? enc : cb;
        if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
        return true;
      });
    });
  }
}
