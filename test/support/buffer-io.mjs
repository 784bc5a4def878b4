// An Io that records everything, for in-process tests (the TypeScript tests and batch-cli.mjs,
// which runs under plain node, share it; types in buffer-io.d.mts).
export function bufferIo(env = {}, tty = false) {
  let out = '';
  let err = '';
  return {
    stdout: { write: (t) => (out += t), isTTY: tty },
    stderr: { write: (t) => (err += t), isTTY: tty },
    stdinIsTTY: tty,
    env,
    out: () => out,
    err: () => err,
  };
}
