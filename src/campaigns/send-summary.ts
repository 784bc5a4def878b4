/** The summary a send returns (`campaign send --json`; its shape is documented in README). */
import type { AbDecision } from './ab-test.js';
import type { RenderFailures } from '../db/campaigns.js';
import type { LedgerState } from '../db/ledger-contract.js';
import type { DispatchResult } from '../dispatch/dispatcher.js';

export interface SendSummary {
  campaign: string;
  state: string;
  stop: DispatchResult['stop'] | 'dry_run' | 'nothing_to_send' | 'cancelled' | 'workers_finishing';
  code?: string;
  reason?: string;
  dry_run: boolean;
  sent: number;
  failed: number;
  unknown: number;
  skipped: number;
  retried: number;
  /** Rows found in `sending` at start (in flight during a crash), now `unknown`. */
  recovered_unknown: number;
  requeued: number;
  by_sender: Record<string, number>;
  elapsed_s: number;
  rate_per_s: number;
  waiting: { count: number; until: string | null };
  counts: Record<LedgerState, number>;
  /** Dry run only: what the run would have sent. */
  would_send?: number;
  /** Dry run only: recipients whose message does not render, by cause. */
  render_failures?: RenderFailures;
  sms_segments?: number;
  /** Told on stderr too; e.g. `throttle_capped` when the throttle asked for more than the provider allows. */
  warnings?: Array<{ code: string; message: string }>;
  /** An A/B test's state at the start of this run: waiting for its winner, or decided now (figures, z-test, winner). */
  ab_test?: AbDecision;
}

/** A run that sent nothing (a dry run, or nothing left to send). */
export function emptySummary(name: string, state: string, stop: SendSummary['stop'], counts: Record<LedgerState, number>, recovered = 0, requeued = 0): SendSummary {
  return {
    campaign: name,
    state,
    stop,
    dry_run: stop === 'dry_run',
    sent: 0,
    failed: 0,
    unknown: 0,
    skipped: 0,
    retried: 0,
    recovered_unknown: recovered,
    requeued,
    by_sender: {},
    elapsed_s: 0,
    rate_per_s: 0,
    waiting: { count: 0, until: null },
    counts,
  };
}

/** This worker is out of rows to claim while other workers still have theirs in flight (PostgreSQL). */
export function othersFinishing(summary: SendSummary): SendSummary {
  return { ...summary, reason: `other workers still have ${summary.counts.sending} recipient(s) in flight; the last of them to finish completes the campaign` };
}

/** What a run that dispatched did. */
export function runSummary(
  name: string,
  state: string,
  stop: SendSummary['stop'],
  result: DispatchResult,
  counts: Record<LedgerState, number>,
  recovered: number,
  requeued: number,
): SendSummary {
  return {
    campaign: name,
    state,
    stop,
    code: result.code,
    reason: result.reason,
    dry_run: false,
    sent: result.sent,
    failed: result.failed,
    unknown: result.unknown,
    skipped: result.skipped,
    retried: result.retried,
    recovered_unknown: recovered,
    requeued,
    by_sender: result.bySender,
    elapsed_s: Math.round(result.elapsedMs / 100) / 10,
    rate_per_s: result.elapsedMs > 0 ? Math.round((result.sent * 1000 * 10) / result.elapsedMs) / 10 : 0,
    waiting: { count: result.waiting.count, until: result.waiting.until === null ? null : new Date(result.waiting.until).toISOString() },
    counts,
  };
}
