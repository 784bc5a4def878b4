/**
 * Failures of the process's own output streams.
 *
 * A reader that goes away is not an error. `mkt customers list | head -1` closes the pipe after
 * one line; the next write fails with EPIPE, which Node raises as an unhandled 'error' event
 * (a stack trace and exit 1). git and gh end quietly instead, and so does mkt: the broken
 * stream swallows the rest of its output and the command finishes with its own exit code. A
 * send in progress keeps going (stderr is only talk), so a closed pipe never abandons a run.
 *
 * Any other failure of stdout (ENOSPC, EIO: `mkt customers list > /dev/full`) means the data
 * was lost: the stream swallows the rest the same way, and the failure is kept for main, which
 * reports it in the common error format and exits 74 (src/cli/main.ts). A failing stderr has
 * nowhere left to complain to; it goes quiet and the command keeps its own exit code.
 * Installed once, by the CLI entry (bin/mkt.js), on the real process streams.
 */
type Stream = NodeJS.WriteStream;

let stdoutError: NodeJS.ErrnoException | undefined;

export function quietOnBrokenPipe(streams: Stream[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && stream === process.stdout) stdoutError ??= err;
      // nobody reads any more (or nothing can be written): later writes succeed at once without a syscall (callbacks still run)
      stream.write = ((_chunk: unknown, enc?: unknown, cb?: unknown) => {
        const done = typeof enc === 'function' ? enc : cb;
        if (typeof done === 'function') queueMicrotask(() => (done as () => void)());
        return true;
      });
    });
  }
}

/**
 * The error that lost stdout's data, if any. Waits a turn of the event loop first: a stream
 * raises a failed write's 'error' event on a later tick than the write.
 */
export async function stdoutFailure(): Promise<NodeJS.ErrnoException | undefined> {
  await new Promise((resolve) => setImmediate(resolve));
  return stdoutError;
}
