/**
 * The send loop. For each free concurrency slot and available token it claims due ledger
 * rows (committed before the provider is called), renders each message, sends it through a
 * sender picked by the pool, and records the outcome in short batched transactions.
 *
 * Memory stays flat in list size: rows are claimed a few at a time from the index, and at
 * most `concurrency` sends are in flight. No process-local state matters for correctness:
 * the ledger alone says who was sent what, so a crash at any point is safe to resume.
 */
import { storageFaultCode } from '../db/faults.js';
import type { ClaimedRow, Ledger, Outcome } from '../db/ledger.js';
import type { OutgoingMessage, Provider } from '../providers/contract.js';
import { AdaptiveRate } from './adaptive-rate.js';
import { ErrorRateBreaker } from './breaker.js';
import { decide, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import { SenderPool, type Distribution, type PoolSenderConfig } from './sender-pool.js';
import { TokenBucket } from './token-bucket.js';
import type { ClaimOptions } from '../db/ledger.js';

export interface Clock {
  /** Wall time in ms (ledger timestamps, retry times, daily caps). */
  readonly now: () => number;
  /** Resolves after `ms`, or as soon as `cancel` aborts (the timer is then cleared). */
  sleep(ms: number, cancel?: AbortSignal): Promise<void>;
}

export interface Progress {
  sent: number;
  failed: number;
  unknown: number;
  skipped: number;
  retrying: number;
  inFlight: number;
  /** Rows still to send (pending, due or not). */
  remaining: number;
  /** Messages accepted per second over the last few seconds. */
  rate: number;
  /** The pace currently allowed (after throttling backoff); undefined when unlimited. */
  allowedRate?: number;
  bySender: Record<string, number>;
  elapsedMs: number;
}

export type StopKind =
  | 'completed' // nothing left to send
  | 'limit' // --limit reached; the rest stays pending
  | 'interrupted' // Ctrl-C / SIGTERM
  | 'paused' // content / fatal error or the error-rate breaker
  | 'daily_cap' // every sender reached its daily cap, or the provider's daily quota
  | 'waiting' // rows wait for a later time (retry backoff too long, quiet hours)
  | 'database'; // the ledger could not be written (locked by another process for too long, I/O error)

export interface DispatchResult {
  stop: StopKind;
  code?: string;
  reason?: string;
  /** Outcomes of this run. */
  sent: number;
  failed: number;
  unknown: number;
  skipped: number;
  retried: number;
  bySender: Record<string, number>;
  elapsedMs: number;
  /** Pending rows not yet due when the run ended, and the first time one is due. */
  waiting: { count: number; until: number | null };
  /** Rows still `sending` when the run gave up waiting for them after an interrupt. */
  abandonedInFlight: number;
}

export interface DispatchOptions {
  ledger: Ledger;
  provider: Provider;
  /** Renders one claimed row into a message (throws RenderError for that recipient). */
  buildMessage(row: ClaimedRow): OutgoingMessage;
  senders: PoolSenderConfig[];
  distribution?: Distribution;
  /** Overall messages per second; undefined = unlimited. */
  ratePerSec?: number;
  concurrency: number;
  /** Send at most this many messages in this run. */
  limit?: number;
  clock: Clock;
  random?: () => number;
  signal?: AbortSignal;
  policy?: RetryPolicy;
  /** Extra claim-time eligibility rule (frequency caps, quiet hours …). */
  extraCheck?: ClaimOptions['extraCheck'];
  /** How long to wait in-process for rows whose retry time is near; beyond it the run ends `waiting`. */
  maxRetryWaitMs?: number;
  /** How long in-flight sends may take to finish after an interrupt. */
  graceMs?: number;
  breaker?: ErrorRateBreaker;
  onProgress?(p: Progress): void;
  progressEveryMs?: number;
  /** Called with each provider-reported opt-out before it is suppressed (for logs). */
  onSuppress?(address: string, reason: string): void;
}

const FLUSH_MS = 20;

export async function dispatch(opts: DispatchOptions): Promise<DispatchResult> {
  const { ledger, provider, clock } = opts;
  const random = opts.random ?? Math.random;
  const policy = opts.policy ?? DEFAULT_RETRY_POLICY;
  const concurrency = Math.max(1, opts.concurrency);
  const breaker = opts.breaker ?? new ErrorRateBreaker();
  const maxRetryWaitMs = opts.maxRetryWaitMs ?? 10 * 60_000;
  const graceMs = opts.graceMs ?? 30_000;
  const started = clock.now();

  const pool = new SenderPool(opts.senders, opts.distribution ?? 'round-robin', clock.now, ledger.usageToday(clock.now()));
  const adaptive = opts.ratePerSec ? new AdaptiveRate(opts.ratePerSec, clock.now) : undefined;
  // A burst of ~10 ms of tokens: enough to keep up at high rates with a coarse timer, small
  // enough that no one-second window goes measurably above the rate.
  const bucket = opts.ratePerSec ? new TokenBucket(opts.ratePerSec, Math.max(1, Math.ceil(opts.ratePerSec / 100)), clock.now) : undefined;

  const result: DispatchResult = {
    stop: 'completed',
    sent: 0,
    failed: 0,
    unknown: 0,
    skipped: 0,
    retried: 0,
    bySender: {},
    elapsedMs: 0,
    waiting: { count: 0, until: null },
    abandonedInFlight: 0,
  };
  let stop: { kind: StopKind; code?: string; reason?: string } | undefined;
  const requestStop = (kind: StopKind, code?: string, reason?: string) => {
    // the first reason to stop wins; a later interrupt does not hide a fatal error
    if (!stop) stop = { kind, code, reason };
  };
  const onAbort = () => requestStop('interrupted', 'interrupted', 'stopped by a signal');
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  let inFlight = 0;
  let claimedThisRun = 0;
  let buffer: Outcome[] = [];
  let lastFlush = clock.now();
  const recentSends: number[] = [];

  // A write the ledger refused (another process holding the lock past busy_timeout, I/O
  // error) must not lose outcomes: they stay buffered and are written at the next flush.
  const flush = (): boolean => {
    if (buffer.length === 0) return true;
    try {
      ledger.record(buffer, clock.now());
    } catch (error) {
      requestStop('database', databaseCode(error), `cannot write the ledger: ${(error as Error).message}`);
      return false;
    }
    buffer = [];
    lastFlush = clock.now();
    return true;
  };
  const push = (o: Outcome) => {
    buffer.push(o);
    // Rows claimed but not yet recorded are what a crash would turn into `unknown`: keep that
    // number near `concurrency` by flushing at that size or every few milliseconds.
    if (buffer.length >= concurrency || clock.now() - lastFlush >= FLUSH_MS) flush();
  };

  let remaining = ledger.dueCount(clock.now()) + ledger.waiting(clock.now()).count;
  const progress = (): Progress => {
    const t = clock.now();
    while (recentSends.length && recentSends[0]! < t - 5000) recentSends.shift();
    const window = Math.min(5000, Math.max(1, t - started));
    return {
      sent: result.sent,
      failed: result.failed,
      unknown: result.unknown,
      skipped: result.skipped,
      retrying: result.retried,
      inFlight,
      remaining,
      rate: (recentSends.length * 1000) / window,
      allowedRate: adaptive?.rate,
      bySender: { ...result.bySender },
      elapsedMs: t - started,
    };
  };
  let lastProgress = 0;
  const maybeProgress = (force = false) => {
    if (!opts.onProgress) return;
    const t = clock.now();
    if (force || t - lastProgress >= (opts.progressEveryMs ?? 200)) {
      lastProgress = t;
      opts.onProgress(progress());
    }
  };

  const sendOne = async (row: ClaimedRow) => {
    let decision;
    try {
      const message = opts.buildMessage(row);
      const { providerMessageId } = await provider.send(message, row.sender);
      push({ id: row.id, state: 'sent', providerMessageId });
      result.sent++;
      remaining--;
      result.bySender[row.sender] = (result.bySender[row.sender] ?? 0) + 1;
      recentSends.push(clock.now());
      breaker.record(false);
    } catch (error) {
      decision = decide(error, row, clock.now(), policy, random);
      push(decision.outcome);
      switch (decision.outcome.state) {
        case 'pending':
          result.retried++;
          break;
        case 'failed':
          result.failed++;
          remaining--;
          break;
        case 'unknown':
          result.unknown++;
          remaining--;
          break;
        default:
          break;
      }
      if (decision.suppress) {
        opts.onSuppress?.(row.address, decision.suppress);
        ledger.suppress(row.address, decision.suppress, `provider:${provider.name}`, clock.now());
      }
      if (decision.recipientFailure !== undefined) breaker.record(decision.recipientFailure);
      const action = decision.action;
      if (action.type === 'slow_down' && adaptive && bucket) bucket.setRate(adaptive.onThrottle());
      else if (action.type === 'pause') requestStop('paused', action.code, action.reason);
      else if (action.type === 'stop_today') requestStop('daily_cap', action.code, action.reason);
      if (breaker.tripped)
        requestStop('paused', 'error_rate', `recipient failures reached ${(breaker.rate * 100).toFixed(1)}% of recent sends`);
    } finally {
      inFlight--;
      if (adaptive && bucket && bucket.rate !== adaptive.rate) bucket.setRate(adaptive.rate);
      wake();
      maybeProgress();
    }
  };

  // A completion or an abort wakes the loop early from any wait. The wake-up runs on the next
  // turn of the event loop, so that completions arriving together (one I/O callback each) free
  // their slots before the loop claims again: one claim transaction per batch, not per message
  // (claiming one row per completion cost ~4x the CPU per message).
  let wakeUp: (() => void) | undefined;
  let wakeQueued = false;
  const wake = () => {
    if (wakeQueued) return;
    wakeQueued = true;
    setImmediate(() => {
      wakeQueued = false;
      const w = wakeUp;
      wakeUp = undefined;
      w?.();
    });
  };
  opts.signal?.addEventListener('abort', wake, { once: true });
  const waitFor = async (ms: number) => {
    const cancel = new AbortController();
    wakeUp = () => cancel.abort();
    await clock.sleep(ms, cancel.signal);
    wakeUp = undefined;
  };

  maybeProgress(true);
  for (;;) {
    if (stop) break;
    if (opts.limit !== undefined && claimedThisRun >= opts.limit) {
      requestStop('limit', 'limit', `sent the first ${opts.limit} (--limit); the rest stays pending`);
      break;
    }
    const free = concurrency - inFlight;
    if (free <= 0) {
      await waitFor(1000);
      continue;
    }
    let allowance = free;
    if (opts.limit !== undefined) allowance = Math.min(allowance, opts.limit - claimedThisRun);
    if (bucket) {
      const tokens = bucket.available();
      if (tokens < 1) {
        flush();
        await waitFor(Math.max(1, bucket.msUntilToken()));
        continue;
      }
      allowance = Math.min(allowance, tokens);
    }
    let poolWait: number | undefined;
    let exhausted = false;
    let claim: ReturnType<Ledger['claim']>;
    try {
      claim = ledger.claim(allowance, clock.now(), {
        pickSender: (address) => {
          const pick = pool.take(address);
          if ('sender' in pick) {
            bucket?.tryTake();
            return pick.sender;
          }
          if ('waitMs' in pick) poolWait = pick.waitMs;
          else exhausted = true;
          return undefined;
        },
        extraCheck: opts.extraCheck,
      });
    } catch (error) {
      // Nothing was claimed (the transaction rolled back). SQLite already waited busy_timeout.
      requestStop('database', databaseCode(error), `cannot claim recipients: ${(error as Error).message}`);
      break;
    }
    const { claimed, skipped, deferred } = claim;
    result.skipped += skipped;
    remaining -= skipped;
    if (claimed.length > 0) {
      claimedThisRun += claimed.length;
      for (const row of claimed) {
        inFlight++;
        void sendOne(row);
      }
      maybeProgress();
      continue;
    }
    if (skipped > 0 || deferred > 0) continue;
    if (exhausted) {
      requestStop('daily_cap', 'daily_cap', 'every sender has reached its daily cap');
      break;
    }
    if (poolWait !== undefined) {
      flush();
      await waitFor(poolWait);
      continue;
    }
    // Nothing due right now.
    if (inFlight > 0) {
      flush();
      await waitFor(1000);
      continue;
    }
    flush();
    const now = clock.now();
    if (ledger.dueCount(now) > 0) continue;
    const waiting = ledger.waiting(now);
    if (waiting.count === 0) break; // completed
    if (waiting.next !== null && waiting.next - now <= maxRetryWaitMs) {
      maybeProgress(true);
      await waitFor(Math.max(1, waiting.next - now));
      continue;
    }
    requestStop('waiting', 'waiting', `${waiting.count} recipient(s) wait until ${new Date(waiting.next ?? now).toISOString()}`);
    break;
  }

  // Let in-flight requests finish: they were claimed and may be accepted; their outcome matters.
  const deadline = clock.now() + (stop?.kind === 'interrupted' ? graceMs : Number.POSITIVE_INFINITY);
  while (inFlight > 0 && clock.now() < deadline) {
    flush();
    await waitFor(Math.min(1000, Math.max(1, deadline - clock.now())));
  }
  result.abandonedInFlight = inFlight;
  // Outcomes must reach the ledger if at all possible; a row that never gets its outcome
  // written stays `sending` and becomes `unknown` next run — safe, but less precise.
  for (let tries = 0; !flush() && tries < 5; tries++) await clock.sleep(1000);
  opts.signal?.removeEventListener('abort', onAbort);
  opts.signal?.removeEventListener('abort', wake);

  const end = clock.now();
  result.elapsedMs = end - started;
  const waiting = ledger.waiting(end);
  result.waiting = { count: waiting.count, until: waiting.next };
  if (stop) {
    result.stop = stop.kind;
    result.code = stop.code;
    result.reason = stop.reason;
  } else {
    result.stop = 'completed';
  }
  maybeProgress(true);
  return result;
}

/** The stop code of a ledger write that failed: database_locked, disk_full, database_corrupt, … */
const databaseCode = storageFaultCode;

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
