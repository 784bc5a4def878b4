/** Time as the send loop sees it: injected, so tests run on a virtual clock (test/support/virtual-clock.ts). */
export interface Clock {
  /** Wall time in ms (ledger timestamps, retry times, daily caps). */
  readonly now: () => number;
  /** Resolves after `ms`, or as soon as `cancel` aborts (the timer is then cleared). */
  sleep(ms: number, cancel?: AbortSignal): Promise<void>;
}

/** The real clock; `now` may be shifted (MKT_NOW) but must advance. */
export function systemClock(now: () => number = Date.now): Clock {
  return {
    now,
    sleep: (ms, cancel) =>
      new Promise<void>((resolve) => {
        if (cancel?.aborted) return resolve();
        const done = () => {
          clearTimeout(timer);
          cancel?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, ms);
        cancel?.addEventListener('abort', done, { once: true });
      }),
  };
}
