/** endOfRun as a table: how a run ended → the campaign's state, its stored pause reason, the exit category. */
import { describe, expect, it } from 'vitest';
import { endOfRun, type RunContext } from '../../../src/campaigns/end-of-run.js';
import { pauseText } from '../../../src/db/campaigns.js';
import type { DispatchResult } from '../../../src/dispatch/dispatcher.js';
import { StorageIoError } from '../../../src/errors.js';
import { exitCodeFor } from '../../../src/output/exit-codes.js';

type Row = [
  label: string,
  result: Pick<DispatchResult, 'stop' | 'code' | 'reason'>,
  counts: { pending: number; sending: number },
  ctx: Partial<RunContext>,
  expected: { state: string; pause: string | null; code?: string; exit?: number; stop?: string },
];

const TABLE: Row[] = [
  ['everything sent', { stop: 'completed' }, { pending: 0, sending: 0 }, {}, { state: 'completed', pause: null }],
  ['completed with rows still in flight', { stop: 'completed' }, { pending: 0, sending: 2 }, {}, { state: 'paused', pause: 'interrupted: rows still in flight' }],
  ['out of rows while other workers send theirs', { stop: 'completed' }, { pending: 0, sending: 2 }, { otherWorkers: 1 }, { state: 'sending', pause: null, stop: 'workers_finishing' }],
  ['the last worker, all rows done', { stop: 'completed' }, { pending: 0, sending: 0 }, { otherWorkers: 1 }, { state: 'completed', pause: null }],
  ['--limit reached', { stop: 'limit', code: 'limit', reason: 'sent the first 5 (--limit); the rest stays pending' }, { pending: 9, sending: 0 }, {}, { state: 'paused', pause: 'limit: sent the first 5 (--limit); the rest stays pending' }],
  ['Ctrl-C', { stop: 'interrupted', code: 'interrupted', reason: 'stopped by a signal' }, { pending: 3, sending: 0 }, {}, { state: 'paused', pause: 'interrupted: stopped by a signal', code: 'interrupted', exit: 75 }],
  ['daily cap', { stop: 'daily_cap', code: 'daily_cap', reason: 'every sender has reached its daily cap' }, { pending: 3, sending: 0 }, {}, { state: 'paused', pause: 'daily_cap: every sender has reached its daily cap', code: 'daily_cap', exit: 75 }],
  ['quiet hours / long backoff', { stop: 'waiting', code: 'waiting', reason: '3 recipient(s) wait until 2025-01-01T20:00:00.000Z' }, { pending: 3, sending: 0 }, {}, { state: 'paused', pause: 'waiting: 3 recipient(s) wait until 2025-01-01T20:00:00.000Z', code: 'waiting', exit: 75 }],
  ['ledger locked', { stop: 'database', code: 'database_locked', reason: 'cannot claim recipients: database is locked' }, { pending: 3, sending: 0 }, {}, { state: 'paused', pause: 'interrupted: cannot claim recipients: database is locked', code: 'database_locked', exit: 75 }],
  ['fatal provider error', { stop: 'paused', code: 'fatal:AccountSuspended', reason: 'account suspended' }, { pending: 3, sending: 0 }, {}, { state: 'paused', pause: 'fatal:AccountSuspended: account suspended', code: 'fatal:AccountSuspended', exit: 69 }],
  ['error-rate breaker', { stop: 'paused', code: 'error_rate', reason: 'recipient failures reached 30.0% of recent sends' }, { pending: 3, sending: 0 }, {}, { state: 'paused', pause: 'error_rate: recipient failures reached 30.0% of recent sends', code: 'error_rate', exit: 69 }],
  ['cancelled during the run', { stop: 'interrupted' }, { pending: 3, sending: 0 }, { stopCause: 'cancelled' }, { state: 'cancelled', pause: 'cancelled by the operator', stop: 'cancelled' }],
  // with other live workers (PostgreSQL), a resumable stop is this worker's alone: the campaign stays theirs
  ['Ctrl-C while 2 other workers send', { stop: 'interrupted', code: 'interrupted', reason: 'stopped by a signal' }, { pending: 3, sending: 1 }, { otherWorkers: 2 }, { state: 'sending', pause: null, code: 'interrupted', exit: 75 }],
  ['daily cap while another worker sends', { stop: 'daily_cap', code: 'daily_cap', reason: 'every sender has reached its daily cap' }, { pending: 3, sending: 1 }, { otherWorkers: 1 }, { state: 'sending', pause: null, code: 'daily_cap', exit: 75 }],
  ['--limit reached while another worker sends', { stop: 'limit', code: 'limit', reason: 'sent the first 5 (--limit); the rest stays pending' }, { pending: 9, sending: 1 }, { otherWorkers: 1 }, { state: 'sending', pause: null }],
  ['found dead by the others, who go on', { stop: 'interrupted' }, { pending: 3, sending: 0 }, { stopCause: 'lease_lost', otherWorkers: 1 }, { state: 'sending', pause: null, code: 'lease_lost', exit: 75 }],
  ['a fatal provider error pauses the campaign even with other workers', { stop: 'paused', code: 'fatal:AccountSuspended', reason: 'account suspended' }, { pending: 3, sending: 0 }, { otherWorkers: 1 }, { state: 'paused', pause: 'fatal:AccountSuspended: account suspended', code: 'fatal:AccountSuspended', exit: 69 }],
  ['cancelled while other workers send', { stop: 'interrupted' }, { pending: 3, sending: 0 }, { stopCause: 'cancelled', otherWorkers: 1 }, { state: 'cancelled', pause: 'cancelled by the operator', stop: 'cancelled' }],
  ['lease taken over', { stop: 'interrupted' }, { pending: 3, sending: 0 }, { stopCause: 'lease_lost' }, { state: 'paused', pause: 'lease_lost: another process took over the send lease', code: 'lease_lost', exit: 75 }],
];

describe('endOfRun', () => {
  it.each(TABLE)('%s', (_label, result, counts, ctx, expected) => {
    const end = endOfRun({ abandonedInFlight: 0, ...result }, counts, { campaign: 'spring', ...ctx });
    expect(end.state).toBe(expected.state);
    expect(pauseText(end.pause)).toBe(expected.pause);
    expect(end.error?.code).toBe(expected.code);
    expect(end.error ? exitCodeFor(end.error) : undefined).toBe(expected.exit);
    expect(end.stop).toBe(expected.stop);
  });

  it('a storage fault that waiting cannot fix keeps its code in the pause reason and its own typed error', () => {
    const diskFull = new StorageIoError('disk_full', 'the disk is full');
    const storageFault = (code: string | undefined) => (code === 'disk_full' ? diskFull : undefined);
    const full = endOfRun({ stop: 'database', code: 'disk_full', reason: 'cannot write the ledger: database or disk is full', abandonedInFlight: 0 }, { pending: 3, sending: 0 }, { campaign: 'spring', storageFault });
    expect(pauseText(full.pause)).toBe('disk_full: cannot write the ledger: database or disk is full');
    expect(full.error).toBe(diskFull);
    expect(exitCodeFor(full.error)).toBe(74);
    const locked = endOfRun({ stop: 'database', code: 'database_locked', reason: 'locked', abandonedInFlight: 0 }, { pending: 3, sending: 0 }, { campaign: 'spring', storageFault });
    expect(pauseText(locked.pause)).toBe('interrupted: locked');
    expect(exitCodeFor(locked.error)).toBe(75);
  });

  it('an interrupted worker with others at work says they continue, and leaves the state to them', () => {
    const end = endOfRun({ stop: 'interrupted', code: 'interrupted', reason: 'stopped by a signal', abandonedInFlight: 0 }, { pending: 165, sending: 4 }, { campaign: 'pg7', otherWorkers: 1 });
    expect(end.leavesState).toBe(true);
    expect(end.error?.message).toBe('this worker stopped (stopped by a signal); 1 other worker still sends "pg7"; the last to stop decides its state');
    expect(end.error?.message).not.toMatch(/still pending/);
    expect(end.reason).toBe(end.error?.message);
    expect(endOfRun({ stop: 'interrupted', abandonedInFlight: 0 }, { pending: 1, sending: 0 }, { campaign: 'pg7', otherWorkers: 3 }).reason).toMatch(/3 other workers still send "pg7"/);
  });

  it('names the unanswered requests after the grace period', () => {
    const end = endOfRun({ stop: 'interrupted', abandonedInFlight: 2 }, { pending: 4, sending: 2 }, { campaign: 'spring' });
    expect(end.error?.message).toBe('stopped; 4 recipient(s) still pending; 2 request(s) still unanswered after the grace period will count as unknown');
    expect(end.error?.hint).toBe('run `mkt campaign send spring` again to resume');
  });
});
