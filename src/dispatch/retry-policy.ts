/**
 * What the dispatcher does with each way a send can end (docs/architecture.md, docs/provider-facts.md §8).
 * The default is at-most-once: anything the provider may have accepted becomes `unknown`
 * and is never sent again unless the operator asks.
 */
import { RenderError } from '../templates/contract.js';
import type { Outcome } from '../db/ledger.js';
import { ProviderError } from '../providers/contract.js';

export interface RetryPolicy {
  /** Attempts (claims) a row may use up on throttling / transient errors before it fails. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** `unknown` (default, at-most-once) or `retry` (at-least-once: a duplicate is cheaper than a miss). */
  ambiguous: 'unknown' | 'retry';
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 5 * 60_000, ambiguous: 'unknown' };

/** What the whole campaign should do after this outcome. */
export type CampaignAction =
  | { type: 'continue' }
  | { type: 'slow_down' }
  | { type: 'pause'; code: string; reason: string } // content / fatal: exit 69
  | { type: 'stop_today'; code: string; reason: string }; // daily quota: exit 75

export interface Decision {
  outcome: Outcome;
  action: CampaignAction;
  /** A provider-reported opt-out to add to suppressions. */
  suppress?: string;
  /** Counts toward the recipient-error breaker. */
  recipientFailure?: boolean;
}

/** Exponential backoff with full jitter, never below half the base delay. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.max(policy.baseDelayMs / 2, Math.floor(random() * cap));
}

const clip = (s: string) => (s.length > 500 ? s.slice(0, 497) + '...' : s);

export function decide(
  error: unknown,
  row: { id: number; attempts: number },
  now: number,
  policy: RetryPolicy,
  random: () => number,
): Decision {
  const id = row.id;
  if (error instanceof RenderError) {
    return { outcome: { id, state: 'failed', code: error.code, message: clip(error.message) }, action: { type: 'continue' } };
  }
  if (!(error instanceof ProviderError)) {
    // A bug or an unexpected library error after the request may have gone out: we cannot
    // know whether the provider accepted it, so it is unknown, never silently resent.
    const message = error instanceof Error ? error.message : String(error);
    return { outcome: { id, state: 'unknown', code: 'unexpected_error', message: clip(message) }, action: { type: 'continue' } };
  }
  const code = error.vendorCode ? `${error.kind}:${error.vendorCode}` : error.kind;
  const message = clip(error.message);
  const retryLater = (refund = false, immediately = false): Outcome => ({
    id,
    state: 'pending',
    code,
    message,
    nextAttemptAt: immediately ? now : now + Math.max(error.retryAfterMs ?? 0, backoffMs(row.attempts, policy, random)),
    refundAttempt: refund,
  });
  const exhausted = row.attempts >= policy.maxAttempts;
  switch (error.kind) {
    case 'throttled':
      if (error.dailyQuota) return { outcome: retryLater(true), action: { type: 'stop_today', code, reason: message } };
      if (exhausted) return { outcome: { id, state: 'failed', code: 'retries_exhausted', message: `${code}: ${message}` }, action: { type: 'slow_down' } };
      return { outcome: retryLater(), action: { type: 'slow_down' } };
    case 'transient':
      if (exhausted) return { outcome: { id, state: 'failed', code: 'retries_exhausted', message: `${code}: ${message}` }, action: { type: 'continue' } };
      return { outcome: retryLater(), action: { type: 'continue' } };
    case 'ambiguous':
      if (policy.ambiguous === 'retry' && !exhausted) return { outcome: retryLater(), action: { type: 'continue' } };
      return { outcome: { id, state: 'unknown', code, message }, action: { type: 'continue' } };
    case 'recipient':
      return {
        outcome: { id, state: 'failed', code, message },
        action: { type: 'continue' },
        suppress: error.suppress,
        recipientFailure: true,
      };
    case 'content':
    case 'fatal':
      // The provider refused before sending: the row goes back in the queue (attempt refunded)
      // and the campaign pauses until someone fixes the cause and resumes.
      if (error.dailyQuota) return { outcome: retryLater(true), action: { type: 'stop_today', code, reason: message } };
      return { outcome: retryLater(true, true), action: { type: 'pause', code, reason: message } };
  }
}
