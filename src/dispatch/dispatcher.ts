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
import type { ClaimedRow, ClaimOptions, Ledger } from '../db/ledger-contract.js';
import type { OutgoingMessage, Provider } from '../providers/contract.js';
import { AdaptiveRate } from './adaptive-rate.js';
import { ErrorRateBreaker } from './breaker.js';
import type { Clock } from './clock.js';
import { OutcomeBuffer } from './outcome-buffer.js';
import type { Progress } from './progress.js';
import { ProgressMeter, type RunCounters } from './progress-meter.js';
import { decide, DEFAULT_RETRY_POLICY, type RetryPolicy } from './retry-policy.js';
import { SenderPool, type Distribution, type PoolSenderConfig } from './sender-pool.js';
import { StopLatch, type StopKind } from './stop.js';
import { TokenBucket } from './token-bucket.js';
import { Waker } from './waker.js';

export { systemClock, type Clock } from './clock.js';
export type { Progress } from './progress.js';
export type { StopKind } from './stop.js';

/** How a run ended; its outcome counters are the ones the progress meter reads (RunCounters). */
export interface DispatchResult extends RunCounters {
  stop: StopKind;
  code?: string;
  reason?: string;
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
  /** A promise when building needs the store first (tracking recording a new link). */
  buildMessage(row: ClaimedRow): OutgoingMessage | Promise<OutgoingMessage>;
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
  onProgress?: (p: Progress) => void;
  progressEveryMs?: number;
  /** Called with each provider-reported opt-out before it is suppressed (for logs). */
  onSuppress?: (address: string, reason: string) => void;
}

export async function dispatch(opts: DispatchOptions): Promise<DispatchResult> {
  const { ledger, provider, clock } = opts;
  const random = opts.random ?? Math.random;
  const policy = opts.policy ?? DEFAULT_RETRY_POLICY;
  const concurrency = Math.max(1, opts.concurrency);
  const breaker = opts.breaker ?? new ErrorRateBreaker();
  const maxRetryWaitMs = opts.maxRetryWaitMs ?? 10 * 60_000;
  const graceMs = opts.graceMs ?? 30_000;
  const started = clock.now();

  const pool = new SenderPool(opts.senders, opts.distribution ?? 'round-robin', clock.now, await ledger.usageToday(clock.now()));
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
  const latch = new StopLatch();
  const onAbort = () => latch.request('interrupted', 'interrupted', 'stopped by a signal');
  if (opts.signal?.aborted) onAbort();
  opts.signal?.addEventListener('abort', onAbort, { once: true });

  let inFlight = 0;
  let claimedThisRun = 0;
  const outcomes = new OutcomeBuffer(ledger, clock, concurrency, (error) =>
    latch.request('database', databaseCode(error), `cannot write the ledger: ${(error as Error).message}`),
  );
  const meter = new ProgressMeter(
    clock,
    started,
    (await ledger.dueCount(clock.now())) + (await ledger.waiting(clock.now())).count,
    () => ({ ...result, inFlight, allowedRate: adaptive?.rate }),
    opts.onProgress,
    opts.progressEveryMs,
  );
  const waker = new Waker(clock);
  opts.signal?.addEventListener('abort', waker.wake, { once: true });

  const sendOne = async (row: ClaimedRow) => {
    try {
      if (row.delayMs) {
        // its slot under the rates shared with other workers (at most a fraction of a second)
        await clock.sleep(row.delayMs);
        if (latch.stop && !latch.stop.claimedGo) {
          // never sent: back in the queue, the attempt (and its daily-cap unit) given back
          outcomes.push({ id: row.id, state: 'pending', code: 'not_sent', message: 'the run stopped before its send slot', nextAttemptAt: clock.now(), refundAttempt: true });
          return;
        }
      }
      const message = await opts.buildMessage(row);
      const { providerMessageId } = await provider.send(message, row.sender);
      outcomes.push({ id: row.id, state: 'sent', providerMessageId });
      result.sent++;
      result.bySender[row.sender] = (result.bySender[row.sender] ?? 0) + 1;
      meter.sentOne();
      breaker.record(false);
    } catch (error) {
      const decision = decide(error, row, clock.now(), policy, random);
      outcomes.push(decision.outcome);
      switch (decision.outcome.state) {
        case 'pending':
          result.retried++;
          break;
        case 'failed':
          result.failed++;
          meter.settled();
          break;
        case 'unknown':
          result.unknown++;
          meter.settled();
          break;
        default:
          break;
      }
      if (decision.suppress) {
        opts.onSuppress?.(row.address, decision.suppress);
        await ledger.suppress(row.address, decision.suppress, `provider:${provider.name}`, clock.now()).catch((error: unknown) =>
          latch.request('database', databaseCode(error), `cannot record an opt-out: ${(error as Error).message}`),
        );
      }
      if (decision.recipientFailure !== undefined) breaker.record(decision.recipientFailure);
      const action = decision.action;
      if (action.type === 'slow_down' && adaptive && bucket) bucket.setRate(adaptive.onThrottle());
      else if (action.type === 'pause') latch.request('paused', action.code, action.reason);
      else if (action.type === 'stop_today') latch.request('daily_cap', action.code, action.reason);
      if (breaker.tripped) latch.request('paused', 'error_rate', `recipient failures reached ${(breaker.rate * 100).toFixed(1)}% of recent sends`);
    } finally {
      inFlight--;
      if (adaptive && bucket && bucket.rate !== adaptive.rate) bucket.setRate(adaptive.rate);
      waker.wake();
      meter.maybeReport();
    }
  };

  meter.maybeReport(true);
  for (;;) {
    if (latch.stop) break;
    if (opts.limit !== undefined && claimedThisRun >= opts.limit) {
      latch.request('limit', 'limit', `sent the first ${opts.limit} (--limit); the rest stays pending`, { claimedGo: true });
      break;
    }
    const free = concurrency - inFlight;
    if (free <= 0) {
      await waker.wait(1000);
      continue;
    }
    let allowance = free;
    if (opts.limit !== undefined) allowance = Math.min(allowance, opts.limit - claimedThisRun);
    // a ledger that shares the limits across workers sizes the claim itself
    if (bucket && !ledger.sharesLimits) {
      const tokens = bucket.available();
      if (tokens < 1) {
        await outcomes.flush();
        await waker.wait(Math.max(1, bucket.msUntilToken()));
        continue;
      }
      allowance = Math.min(allowance, tokens);
    }
    let poolWait: number | undefined;
    let exhausted = false;
    let claim: Awaited<ReturnType<Ledger['claim']>>;
    try {
      claim = await ledger.claim(allowance, clock.now(), {
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
        onUsage: (usage) => pool.setUsage(usage),
        extraCheck: opts.extraCheck,
        // for a ledger shared by several workers: the same limits, held across all of them
        limits: { ratePerSec: bucket?.rate, senders: opts.senders.map((s) => ({ id: s.id, ratePerSec: s.ratePerSec, dailyCap: s.dailyCap })) },
      });
    } catch (error) {
      // Nothing was claimed (the transaction rolled back). SQLite already waited busy_timeout.
      latch.request('database', databaseCode(error), `cannot claim recipients: ${(error as Error).message}`);
      break;
    }
    if (claim.cancelled) {
      // rows waiting for their send slot go back; requests already in flight finish
      latch.request('cancelled', 'cancelled', 'the campaign was cancelled');
      break;
    }
    const { claimed, skipped, deferred } = claim;
    result.skipped += skipped;
    meter.settled(skipped);
    if (claimed.length > 0) {
      claimedThisRun += claimed.length;
      for (const row of claimed) {
        inFlight++;
        void sendOne(row);
      }
      meter.maybeReport();
      continue;
    }
    if (skipped > 0 || deferred > 0) continue;
    if (exhausted || claim.exhausted) {
      // rows in flight or outcomes not yet written may give units back (a retry, a refusal):
      // the cap is reached only once they have
      if (inFlight > 0 || outcomes.length > 0) {
        await outcomes.flush();
        if (inFlight > 0) await waker.wait(1000);
        continue;
      }
      latch.request('daily_cap', 'daily_cap', 'every sender has reached its daily cap', { claimedGo: true });
      break;
    }
    poolWait = poolWait ?? claim.waitMs;
    if (poolWait !== undefined) {
      await outcomes.flush();
      await waker.wait(poolWait);
      continue;
    }
    // Nothing due right now.
    if (inFlight > 0) {
      await outcomes.flush();
      await waker.wait(1000);
      continue;
    }
    await outcomes.flush();
    const now = clock.now();
    if ((await ledger.dueCount(now)) > 0) continue;
    const waiting = await ledger.waiting(now);
    if (waiting.count === 0) break; // completed
    if (waiting.next !== null && waiting.next - now <= maxRetryWaitMs) {
      meter.maybeReport(true);
      await waker.wait(Math.max(1, waiting.next - now));
      continue;
    }
    latch.request('waiting', 'waiting', `${waiting.count} recipient(s) wait until ${new Date(waiting.next ?? now).toISOString()}`);
    break;
  }

  // Let in-flight requests finish: they were claimed and may be accepted; their outcome matters.
  const deadline = clock.now() + (latch.stop?.kind === 'interrupted' ? graceMs : Number.POSITIVE_INFINITY);
  while (inFlight > 0 && clock.now() < deadline) {
    await outcomes.flush();
    await waker.wait(Math.min(1000, Math.max(1, deadline - clock.now())));
  }
  result.abandonedInFlight = inFlight;
  // Outcomes must reach the ledger if at all possible; a row that never gets its outcome
  // written stays `sending` and becomes `unknown` next run — safe, but less precise.
  for (let tries = 0; !(await outcomes.flush()) && tries < 5; tries++) await clock.sleep(1000);
  opts.signal?.removeEventListener('abort', onAbort);
  opts.signal?.removeEventListener('abort', waker.wake);

  const end = clock.now();
  result.elapsedMs = end - started;
  const waiting = await ledger.waiting(end).catch((error: unknown) => {
    // the run already stopped because the ledger cannot be reached (the stop says why): it ends
    // with what it knows, so the send prints its summary instead of losing it to this read
    if (latch.stop?.kind === 'database') return { count: 0, next: null };
    throw error;
  });
  result.waiting = { count: waiting.count, until: waiting.next };
  const stop = latch.stop;
  if (stop) {
    result.stop = stop.kind;
    result.code = stop.code;
    result.reason = stop.reason;
  } else {
    result.stop = 'completed';
  }
  meter.maybeReport(true);
  return result;
}

/** The stop code of a ledger write that failed: database_locked, disk_full, database_corrupt, … */
const databaseCode = storageFaultCode;
