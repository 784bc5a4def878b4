/**
 * How a send run ended → the campaign's next state, its pause reason, and the typed error
 * (exit code) the command reports. Pure: a table of cases (test/unit/campaigns/end-of-run.test.ts).
 */
import type { CampaignState, PauseReason } from '../db/campaigns.js';
import type { LedgerState } from '../db/ledger-contract.js';
import type { DispatchResult } from '../dispatch/dispatcher.js';
import { MktError, ResumableStop, UnavailableError } from '../errors.js';
import { count } from '../util/plural.js';

export interface RunEnd {
  state: CampaignState;
  pause: PauseReason | null;
  error?: MktError;
  /**
   * Set when the summary's stop is not the dispatcher's: a cancel from outside, or this worker
   * out of rows while other workers still have theirs in flight (`workers_finishing`: the
   * campaign stays `sending`, and this run leaves its state alone; the last worker completes it).
   */
  stop?: 'cancelled' | 'workers_finishing';
  /**
   * The campaign's state is the other live workers' (PostgreSQL): this run leaves it `sending`
   * and does not write it; the last worker to stop decides it.
   */
  leavesState?: boolean;
  /** The summary's reason, when it is not the dispatcher's (the other workers continue). */
  reason?: string;
}

export interface RunContext {
  campaign: string;
  /** Set when the lease stopped the run (a cancel noticed at a heartbeat, or a take-over). */
  stopCause?: 'cancelled' | 'lease_lost';
  /**
   * The typed error of a storage fault that waiting cannot fix (disk full, corrupt, read-only),
   * by the stop code the dispatcher reported; undefined for a lock or an unknown code.
   * Injected (db/faults.ts reads the corrupt file's integrity check), so this stays pure.
   */
  storageFault?: (code: string | undefined, reason: string) => MktError | undefined;
  /**
   * How many other live workers are on the campaign (PostgreSQL), asked after this worker left
   * the registry and before the counts were read: of workers ending together, the last to leave
   * sees none, so one of them always decides the campaign's state.
   */
  otherWorkers?: number;
}

type Result = Pick<DispatchResult, 'stop' | 'code' | 'reason' | 'abandonedInFlight'>;

const paused = (code: string | undefined, message: string): PauseReason => ({ code: code ?? null, message });

export function endOfRun(result: Result, counts: Pick<Record<LedgerState, number>, 'pending' | 'sending'>, ctx: RunContext): RunEnd {
  const end = ownEnd(result, counts, ctx);
  const others = ctx.otherWorkers ?? 0;
  // A stop that is this worker's alone (resumable: a signal, a daily cap, --limit, a wait, a
  // lock, found dead by the others) does not pause a campaign other live workers still send.
  // A fatal provider error or a storage fault still pauses it: the others would meet it too.
  const resumable = end.error === undefined || end.error instanceof ResumableStop;
  if (others > 0 && end.state === 'paused' && resumable) return othersContinue(end, others, ctx.campaign);
  return end;
}

/** This worker stopped; `others` live workers go on, and the last of them to stop decides the campaign's state. */
function othersContinue(end: RunEnd, others: number, name: string): RunEnd {
  const reason = `${count(others, 'other worker')} still ${others === 1 ? 'sends' : 'send'} "${name}"; the last to stop decides its state`;
  const why = end.pause?.message ?? 'stopped';
  return {
    state: 'sending',
    pause: null,
    leavesState: true,
    reason: `this worker stopped (${why}); ${reason}`,
    ...(end.error ? { error: new ResumableStop(end.error.code, `this worker stopped (${why}); ${reason}`, { hint: 'nothing to resume while they run; `mkt campaign status` shows them' }) } : {}),
  };
}

function ownEnd(result: Result, counts: Pick<Record<LedgerState, number>, 'pending' | 'sending'>, ctx: RunContext): RunEnd {
  const name = ctx.campaign;
  if (ctx.stopCause === 'cancelled' || result.stop === 'cancelled') return { state: 'cancelled', stop: 'cancelled', pause: { code: null, message: 'cancelled by the operator' } };
  if (ctx.stopCause === 'lease_lost') {
    return {
      state: 'paused',
      pause: paused('lease_lost', 'another process took over the send lease'),
      error: new ResumableStop('lease_lost', `lost the send lease of "${name}" to another process; stopped claiming`),
    };
  }
  switch (result.stop) {
    case 'completed':
      if (counts.pending + counts.sending === 0) return { state: 'completed', pause: null };
      // the rows in flight are the other workers': they finish, and the last one completes
      if (ctx.otherWorkers) return { state: 'sending', pause: null, stop: 'workers_finishing', leavesState: true };
      return { state: 'paused', pause: paused('interrupted', 'rows still in flight') };
    case 'limit':
      return { state: 'paused', pause: paused('limit', `${result.reason}`) };
    case 'interrupted':
      return {
        state: 'paused',
        pause: paused('interrupted', 'stopped by a signal'),
        error: new ResumableStop(
          'interrupted',
          `stopped; ${counts.pending} recipient(s) still pending` +
            (result.abandonedInFlight ? `; ${result.abandonedInFlight} request(s) still unanswered after the grace period will count as unknown` : ''),
          { hint: `run \`mkt campaign send ${name}\` again to resume` },
        ),
      };
    case 'daily_cap':
      return {
        state: 'paused',
        pause: paused('daily_cap', `${result.reason}`),
        error: new ResumableStop('daily_cap', `stopped for today: ${result.reason}; ${counts.pending} recipient(s) still pending`, { hint: 'run again tomorrow (or from a scheduled job)' }),
      };
    case 'waiting':
      return {
        state: 'paused',
        pause: paused('waiting', `${result.reason}`),
        error: new ResumableStop('waiting', `${result.reason}`, { hint: 'run again then (`mkt campaign send --due` picks it up)' }),
      };
    case 'database': {
      const fault = ctx.storageFault?.(result.code, result.reason ?? '');
      // disk full, corrupt, read-only: not resumable by waiting; the pause reason says which
      if (fault) return { state: 'paused', pause: paused(result.code, `${result.reason}`), error: fault };
      return {
        state: 'paused',
        pause: paused('interrupted', `${result.reason}`),
        error: new ResumableStop(result.code ?? 'database_locked', `stopped: ${result.reason}`, {
          hint: 'another process held the database too long; run the send again once it is free (nothing was sent twice)',
        }),
      };
    }
    case 'paused':
      return {
        state: 'paused',
        // as before: a pause without a code is stored as `undefined: …`
        pause: paused(`${result.code}`, `${result.reason}`),
        error: new UnavailableError(result.code ?? 'paused', `campaign "${name}" paused: ${result.reason}`, {
          hint: `fix the cause, then run \`mkt campaign send ${name}\` to resume`,
          details: { code: result.code },
        }),
      };
  }
}
