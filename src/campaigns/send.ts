/**
 * send: the campaign-level wrapper around the dispatcher — state checks, drift guard, the
 * one-sender-at-a-time lease with heartbeat, crash recovery (`sending` → `unknown`), provider
 * and template set-up, and the mapping of how the run ended to the campaign's state and to a
 * typed error (exit code) for the CLI.
 */
import os from 'node:os';
import { randomBytes } from 'node:crypto';
import { acquireLease, campaignStateOf, dueCampaigns, releaseLease, renewLease, updateCampaign, type CampaignRow } from '../db/campaigns.js';
import { faultError, faultOfCode } from '../db/faults.js';
import { Ledger, pendingWithCustomers, type LedgerState } from '../db/ledger.js';
import { dispatch, systemClock, type Clock, type DispatchResult, type Progress } from '../dispatch/dispatcher.js';
import { DEFAULT_RETRY_POLICY, type RetryPolicy } from '../dispatch/retry-policy.js';
import { SenderPool } from '../dispatch/sender-pool.js';
import { InputError, MktError, ResumableStop, UnavailableError } from '../errors.js';
import { createProvider, DEFAULT_CONCURRENCY, getProviderConfig } from '../providers/index.js';
import { RenderError } from '../templates/contract.js';
import { tryParseRate } from '../util/rate.js';
import { getCampaign } from './create.js';
import type { CampaignDeps } from './deps.js';
import { messageBuilder, templateVars, type UnsubscribeLinker } from './message.js';
import { paceOf } from './pace.js';
import { recountCampaign, type PrepareOptions } from './prepare.js';
import { loadCampaignTemplate } from './references.js';
import type { ClaimOptions } from '../db/ledger.js';

export interface SendOptions {
  throttle?: string;
  concurrency?: number;
  limit?: number;
  dryRun?: boolean;
  retryFailed?: boolean;
  retryUnknown?: boolean;
  /** Refuse when the audience moved more than this percentage since prepare. */
  maxDrift?: number;
  signal?: AbortSignal;
  onProgress?: (p: SendProgress) => void;
  /** Things worth telling the operator (recovered rows, lease take-over). */
  onNotice?: (message: string) => void;
  policy?: Partial<RetryPolicy>;
  unsubscribe?: UnsubscribeLinker;
  /** Claim-time eligibility (frequency caps, quiet hours). */
  claimCheck?: (deps: CampaignDeps, campaign: CampaignRow) => Promise<ClaimCheck | undefined> | ClaimCheck | undefined;
  exclusions?: PrepareOptions['exclusions'];
  clock?: Clock;
  leaseTtlMs?: number;
  graceMs?: number;
}

/**
 * The dispatcher's progress of this run, plus `total` (rows due in this run) and `overall`:
 * the whole campaign, counting what earlier runs already settled (a resumed send shows
 * "sent so far / recipients", not only this run's share).
 */
export type SendProgress = Progress & {
  total: number;
  overall?: { recipients: number; sent: number; failed: number; unknown: number; skipped: number };
};

export type ClaimCheck = NonNullable<ClaimOptions['extraCheck']>;

export interface SendSummary {
  campaign: string;
  state: string;
  stop: DispatchResult['stop'] | 'dry_run' | 'nothing_to_send' | 'cancelled';
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
  render_failures?: Array<{ recipient: number; address: string; error: string }>;
  sms_segments?: number;
  /** Told on stderr too; e.g. `throttle_capped` when the throttle asked for more than the provider allows. */
  warnings?: Array<{ code: string; message: string }>;
}

const RESUMABLE_PAUSES = ['interrupted', 'daily_cap', 'waiting', 'lease_lost'];

/** Whether a paused campaign may be resumed unattended (`send --due`): not after fatal errors or a canary --limit. */
export function resumableUnattended(row: CampaignRow): boolean {
  return row.state !== 'paused' || RESUMABLE_PAUSES.includes(pauseCode(row));
}

function pauseCode(row: CampaignRow): string {
  return (row.pauseReason ?? '').split(':')[0]!;
}

function leaseOwner(): string {
  return `${os.hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
}

/** A lease left by a process on this host that no longer exists can be taken at once (kill -9). */
function ownerIsDead(owner: string): boolean {
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== os.hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}


export async function sendCampaign(deps: CampaignDeps, name: string, opts: SendOptions = {}): Promise<{ summary: SendSummary; error?: MktError }> {
  const campaign = getCampaign(deps, name);
  if (campaign.state === 'draft') {
    throw new InputError('campaign_not_prepared', `campaign "${name}" has no send list yet`, { hint: `run \`mkt campaign prepare ${name}\` first` });
  }
  if (campaign.state === 'cancelled') throw new InputError('campaign_cancelled', `campaign "${name}" is cancelled`);
  if (opts.throttle !== undefined && !tryParseRate(opts.throttle)) {
    throw new InputError('bad_rate', `--throttle "${opts.throttle}" is not a rate`, { hint: 'write it like 50/s, 600/m or 10000/h' });
  }
  if (opts.maxDrift !== undefined) {
    const drift = await recountCampaign(deps, name, { exclusions: opts.exclusions });
    if (drift.drift_percent > opts.maxDrift) {
      throw new InputError(
        'audience_drift',
        `the audience of "${name}" moved ${drift.drift_percent}% since prepare (${drift.joined} joined, ${drift.left} left; limit ${opts.maxDrift}%)`,
        { hint: `review with \`mkt campaign recount ${name}\`, then prepare again or raise --max-drift`, details: { ...drift } },
      );
    }
  }
  const providerConfig = await getProviderConfig(deps.workspace, deps.env, campaign.provider);
  if (providerConfig.channel !== campaign.channel) {
    throw new InputError('campaign_mismatch', `provider "${providerConfig.name}" sends ${providerConfig.channel}, but the campaign's channel is ${campaign.channel}`);
  }
  const template = await loadCampaignTemplate(deps.workspace, campaign);
  const ledger = new Ledger(deps.store.sqlite, campaign.id, campaign.channel, providerConfig.name);
  const msgCtx = { campaign: { name: campaign.name, id: campaign.id, channel: campaign.channel }, template, unsubscribe: opts.unsubscribe, now: deps.now };
  const pace = paceOf({
    throttle: opts.throttle ?? campaign.throttle,
    throttleSource: opts.throttle !== undefined ? '--throttle' : `campaign "${campaign.name}"'s throttle`,
    providerName: providerConfig.name,
    providerRate: providerConfig.rate?.text,
    senderRates: providerConfig.senders.map((s) => s.rate?.text),
  });
  // Told at once (stderr) and kept in the summary (--json), whichever way the run ends.
  const warnings = pace.capped ? [{ code: pace.capped.code, message: pace.capped.message }] : [];
  for (const w of warnings) opts.onNotice?.(`${w.code}: ${w.message}`);
  const told = (summary: SendSummary): SendSummary => (warnings.length > 0 ? { ...summary, warnings } : summary);

  if (opts.dryRun) return { summary: told(dryRun(deps, campaign, ledger, msgCtx, providerConfig.senders)) };

  const owner = leaseOwner();
  const ttl = opts.leaseTtlMs ?? 30_000;
  const lease = acquireLease(deps.store, campaign.id, owner, deps.now(), ttl, ownerIsDead);
  if (!lease.ok) {
    throw new ResumableStop('campaign_busy', `campaign "${name}" is being sent by another process (${lease.holder.owner}); not sending alongside it`, {
      hint: `wait for it to finish, or run again after ${new Date(lease.holder.expiresAt).toISOString()} if that process died`,
    });
  }
  const stopper = new AbortController();
  let stopCause: 'cancelled' | 'lease_lost' | undefined;
  const onUserAbort = () => stopper.abort();
  opts.signal?.addEventListener('abort', onUserAbort, { once: true });
  if (opts.signal?.aborted) stopper.abort();
  const heartbeat = setInterval(() => {
    try {
      if (!renewLease(deps.store, campaign.id, owner, deps.now(), ttl)) {
        stopCause = 'lease_lost';
        stopper.abort();
      } else if (campaignStateOf(deps.store, campaign.id) === 'cancelled') {
        stopCause = 'cancelled';
        stopper.abort();
      }
    } catch {
      // a busy database this once: the next beat tries again, well before the lease runs out
    }
  }, Math.max(50, Math.floor(ttl / 6)));

  let provider: Awaited<ReturnType<typeof createProvider>> | undefined;
  try {
    const now = deps.now();
    const recovered = ledger.recoverInFlight(now);
    if (recovered > 0) opts.onNotice?.(`${recovered} recipient(s) were in flight when an earlier run stopped; they are now "unknown" and will not be resent (use --retry-unknown to resend them)`);
    const requeued = ledger.requeue([...(opts.retryUnknown ? (['unknown'] as const) : []), ...(opts.retryFailed ? (['failed'] as const) : [])], now);
    if (requeued > 0) opts.onNotice?.(`${requeued} recipient(s) put back in the queue`);

    const dueNow = ledger.dueCount(now) + ledger.waiting(now).count;
    if (dueNow === 0) {
      const counts = ledger.counts();
      if (campaign.state !== 'completed') updateCampaign(deps.store, campaign.id, { state: 'completed', completedAt: now, pauseReason: null }, now);
      return { summary: told(emptySummary(campaign.name, 'completed', 'nothing_to_send', counts, recovered, requeued)) };
    }

    updateCampaign(deps.store, campaign.id, { state: 'sending', startedAt: campaign.startedAt ?? now, pauseReason: null }, now);
    provider = await createProvider(providerConfig, { workspace: deps.workspace, env: deps.env, now: () => new Date(deps.now()) });
    const concurrency = opts.concurrency ?? providerConfig.concurrency ?? DEFAULT_CONCURRENCY;
    const settings = JSON.parse(campaign.settings) as { distribution?: 'round-robin' | 'sticky' };
    const extraCheck = opts.claimCheck ? await opts.claimCheck(deps, campaign) : undefined;
    const total = dueNow;
    const before = ledger.counts();
    const recipients = Object.values(before).reduce((a, b) => a + b, 0);
    const overall = (p: Progress) => ({ recipients, sent: before.sent + p.sent, failed: before.failed + p.failed, unknown: before.unknown + p.unknown, skipped: before.skipped + p.skipped });
    const result = await dispatch({
      ledger,
      provider,
      buildMessage: messageBuilder(msgCtx),
      senders: providerConfig.senders.map((s) => ({ id: s.id, weight: s.weight, ratePerSec: s.rate?.perSecond, dailyCap: s.dailyCap })),
      distribution: settings.distribution ?? 'round-robin',
      ratePerSec: pace.ratePerSec,
      concurrency,
      limit: opts.limit,
      clock: opts.clock ?? systemClock(deps.now),
      signal: stopper.signal,
      policy: { ...DEFAULT_RETRY_POLICY, ...opts.policy },
      extraCheck,
      graceMs: opts.graceMs,
      onProgress: opts.onProgress ? (p) => opts.onProgress!({ ...p, total, overall: overall(p) }) : undefined,
      onSuppress: (address, reason) => opts.onNotice?.(`provider reported ${address} as opted out (${reason}); suppressed`),
    });
    const end = deps.now();
    const counts = ledger.counts();
    const summary: SendSummary = {
      campaign: campaign.name,
      state: '',
      stop: result.stop,
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
    let error: MktError | undefined;
    let state: CampaignRow['state'];
    let pauseReason: string | null = null;
    if (stopCause === 'cancelled') {
      state = 'cancelled';
      summary.stop = 'cancelled';
      pauseReason = 'cancelled by the operator';
    } else if (stopCause === 'lease_lost') {
      state = 'paused';
      pauseReason = 'lease_lost: another process took over the send lease';
      error = new ResumableStop('lease_lost', `lost the send lease of "${name}" to another process; stopped claiming`);
    } else
      switch (result.stop) {
        case 'completed':
          state = counts.pending + counts.sending === 0 ? 'completed' : 'paused';
          if (state === 'paused') pauseReason = 'interrupted: rows still in flight';
          break;
        case 'limit':
          state = 'paused';
          pauseReason = `limit: ${result.reason}`;
          break;
        case 'interrupted':
          state = 'paused';
          pauseReason = 'interrupted: stopped by a signal';
          error = new ResumableStop(
            'interrupted',
            `stopped; ${counts.pending} recipient(s) still pending` +
              (result.abandonedInFlight ? `; ${result.abandonedInFlight} request(s) still unanswered after the grace period will count as unknown` : ''),
            { hint: `run \`mkt campaign send ${name}\` again to resume` },
          );
          break;
        case 'daily_cap':
          state = 'paused';
          pauseReason = `daily_cap: ${result.reason}`;
          error = new ResumableStop('daily_cap', `stopped for today: ${result.reason}; ${counts.pending} recipient(s) still pending`, { hint: 'run again tomorrow (or from a scheduled job)' });
          break;
        case 'waiting':
          state = 'paused';
          pauseReason = `waiting: ${result.reason}`;
          error = new ResumableStop('waiting', `${result.reason}`, { hint: 'run again then (`mkt campaign send --due` picks it up)' });
          break;
        case 'database': {
          state = 'paused';
          const fault = faultOfCode(result.code);
          if (fault && fault !== 'locked') {
            // disk full, corrupt, read-only: not resumable by waiting; the reason says which
            pauseReason = `${result.code}: ${result.reason}`;
            error = faultError(fault, deps.store.path, result.reason ?? '');
            break;
          }
          pauseReason = `interrupted: ${result.reason}`;
          error = new ResumableStop(result.code ?? 'database_locked', `stopped: ${result.reason}`, {
            hint: 'another process held the database too long; run the send again once it is free (nothing was sent twice)',
          });
          break;
        }
        case 'paused':
          state = 'paused';
          pauseReason = `${result.code}: ${result.reason}`;
          error = new UnavailableError(result.code ?? 'paused', `campaign "${name}" paused: ${result.reason}`, {
            hint: `fix the cause, then run \`mkt campaign send ${name}\` to resume`,
            details: { code: result.code },
          });
          break;
      }
    summary.state = state;
    await persistently(() => updateCampaign(deps.store, campaign.id, { state, pauseReason, ...(state === 'completed' ? { completedAt: end } : {}) }, end));
    return { summary: told(summary), error };
  } finally {
    clearInterval(heartbeat);
    opts.signal?.removeEventListener('abort', onUserAbort);
    // If even this fails, the lease simply expires; the next run takes it over.
    await persistently(() => releaseLease(deps.store, campaign.id, owner)).catch(() => {});
    await provider?.close?.().catch(() => {});
  }
}

/** A small write at the end of a run, retried a few times while another process holds the lock. */
async function persistently(write: () => void, tries = 4): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return write();
    } catch (e) {
      const code = (e as { code?: string }).code;
      if (i >= tries || (code !== 'SQLITE_BUSY' && code !== 'SQLITE_LOCKED')) throw e;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function emptySummary(name: string, state: string, stop: SendSummary['stop'], counts: Record<LedgerState, number>, recovered = 0, requeued = 0): SendSummary {
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

/**
 * Renders every pending message and plans its sender, touching nothing: the ledger is not
 * claimed and no provider is contacted.
 */
function dryRun(
  deps: CampaignDeps,
  campaign: CampaignRow,
  ledger: Ledger,
  msgCtx: Parameters<typeof messageBuilder>[0],
  senders: Array<{ id: string; weight: number; dailyCap?: number }>,
): SendSummary {
  const started = deps.now();
  let ok = 0;
  let segments = 0;
  const failures: NonNullable<SendSummary['render_failures']> = [];
  let failed = 0;
  for (const row of pendingWithCustomers(deps.store.sqlite, campaign.id)) {
    try {
      const rendered = msgCtx.template.render(templateVars(msgCtx, row).vars);
      if (rendered.channel === 'sms') segments += rendered.segments;
      ok++;
    } catch (e) {
      if (!(e instanceof RenderError)) throw e;
      failed++;
      if (failures.length < 20) failures.push({ recipient: row.id, address: row.address, error: e.message });
    }
  }
  const summary = emptySummary(campaign.name, campaign.state, 'dry_run', ledger.counts());
  summary.would_send = ok;
  summary.failed = failed;
  summary.render_failures = failures;
  summary.by_sender = SenderPool.plannedSplit(senders, ok);
  if (campaign.channel === 'sms') summary.sms_segments = segments;
  summary.elapsed_s = Math.round((deps.now() - started) / 100) / 10;
  return summary;
}

/** Names of campaigns whose schedule has passed and that may be sent unattended. */
export function dueCampaignNames(deps: CampaignDeps): string[] {
  return dueCampaigns(deps.store, deps.now())
    .filter((c) => (c.scheduleAt !== null ? resumableUnattended(c) : TIME_WAITS.includes(pauseCode(c))))
    .map((c) => c.name);
}

/** Pauses that only wait for time to pass: `--due` resumes them even on unscheduled campaigns. */
const TIME_WAITS = ['waiting', 'daily_cap'];
