/**
 * What stops a running send the way Ctrl-C does: SIGINT, SIGTERM, and the death of mkt's
 * parent. A wrapper killed hard (`kill -9` on npx, a CI runner's shell) cannot pass a signal
 * on, and mkt would go on sending in the background with nobody watching. The kernel then
 * hands the orphan to init or a subreaper, which changes process.ppid, so a cheap timer polls
 * it (unref'd: it never keeps the process alive) and treats a change like SIGTERM: stop
 * claiming, let in-flight requests finish, pause, exit 75.
 */
export type InterruptHandler = (reason: string) => void;

/** Parent checks per second are cheap (one getppid); a second is soon enough to stop. */
const PARENT_POLL_MS = 1000;

/** Calls `handler` on every SIGINT/SIGTERM and once if the parent process dies; returns the release. */
export function onInterrupt(handler: InterruptHandler, pollMs = PARENT_POLL_MS): () => void {
  const onSignal = (sig: NodeJS.Signals) => handler(sig);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    handler(`parent process ${parent} exited`);
  }, pollMs);
  timer.unref();
  return () => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    clearInterval(timer);
  };
}
