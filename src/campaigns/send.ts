/**
 * send: the orchestration of one run of a campaign. The named parts do the work: the drift
 * guard (prepare.ts), the pace (pace.ts), the store's ledger and right to send (send-backend.ts:
 * the one-sender lease on SQLite, the worker registry on PostgreSQL), the send
 * loop (dispatch/), and how the run ended → state and exit code (end-of-run.ts). The ledger is
 * seen through its interface only (db/ledger-contract.ts).
 */
import type { Campaign } from '../db/campaigns.js';
import { whenFree } from '../db/faults.js';
import { dispatch, systemClock, type Progress } from '../dispatch/dispatcher.js';
import type { RunCounters } from '../dispatch/progress-meter.js';
import type { LedgerState } from '../db/ledger-contract.js';
import { DEFAULT_RETRY_POLICY } from '../dispatch/retry-policy.js';
import { loadSettings } from '../compliance/index.js';
import { InputError, UnavailableError, type MktError } from '../errors.js';
import { isConnectionError, isTooManyConnections, unavailableHint } from '../db/connection-errors.js';
import { createProvider, DEFAULT_CONCURRENCY, getProviderConfig } from '../providers/index.js';
import { tryParseRate, type Rate } from '../util/rate.js';
import { getCampaign } from './create.js';
import type { CampaignDeps } from './deps.js';
import { abDecisionLines, abWaitingRun, decideAbTest, loadVariantTemplates, type AbDecision } from './ab-test.js';
import { dryRun } from './dry-run.js';
import { endOfRun } from './end-of-run.js';
import { messageBuilder } from './message.js';
import { paceOf } from './pace.js';
import { recountCampaign } from './prepare.js';
import { guardRenderFailures } from './render-guard.js';
import { loadCampaignTemplate } from './references.js';
import { sendBackend } from './send-backend.js';
import type { SendOptions } from './send-options.js';
import { emptySummary, othersFinishing, runSummary, type SendSummary } from './send-summary.js';
import { loadTracker } from './tracking.js';

export { dueCampaignNames, resumableUnattended } from './due.js';
export type { ClaimCheck, SendComplianceHooks, SendEnvironment, SendOptions, SendRunFlags } from './send-options.js';
export type { SendProgress } from './send-progress.js';
export type { SendSummary } from './send-summary.js';

/** `--throttle`, parsed once here where the run starts. */
function parseThrottle(text: string | undefined): Rate | undefined {
  if (text === undefined) return undefined;
  const rate = tryParseRate(text);
  if (!rate) throw new InputError('bad_rate', `--throttle "${text}" is not a rate`, { hint: 'write it like 50/s, 600/m or 10000/h' });
  return rate;
}

/** Refuses when the live audience moved more than `maxDrift` percent since prepare. */
async function guardDrift(deps: CampaignDeps, name: string, maxDrift: number, opts: SendOptions): Promise<void> {
  const drift = await recountCampaign(deps, name, { exclusions: opts.exclusions });
  if (drift.drift_percent <= maxDrift) return;
  throw new InputError(
    'audience_drift',
    `the audience of "${name}" moved ${drift.drift_percent}% since prepare (${drift.joined} joined, ${drift.left} left; limit ${maxDrift}%)`,
    { hint: `review with \`mkt campaign recount ${name}\`, then prepare again or raise --max-drift`, details: { ...drift } },
  );
}

/** The ledger's counts as this run left them, from the counts before it and what it did (the database cannot be asked). */
function countsAfterRun(before: Record<LedgerState, number>, run: RunCounters): Record<LedgerState, number> {
  const moved = run.sent + run.failed + run.unknown + run.skipped;
  return { ...before, sent: before.sent + run.sent, failed: before.failed + run.failed, unknown: before.unknown + run.unknown, skipped: before.skipped + run.skipped, pending: Math.max(0, before.pending - moved) };
}

/** PostgreSQL did not come back within the ledger's retry window: exit 69, nothing sent twice. */
function unreachable(error: unknown): UnavailableError {
  const what = isTooManyConnections(error) ? 'PostgreSQL kept refusing new connections: too many connections' : 'lost the connection to PostgreSQL and it did not come back';
  return new UnavailableError('db_unreachable', `${what} (${(error as { code?: string }).code ?? 'connection error'})`, { hint: unavailableHint(error) });
}

function checkSendable(campaign: Campaign): void {
  if (campaign.state === 'draft') {
    throw new InputError('campaign_not_prepared', `campaign "${campaign.name}" has no send list yet`, { hint: `run \`mkt campaign prepare ${campaign.name}\` first` });
  }
  if (campaign.state === 'cancelled') throw new InputError('campaign_cancelled', `campaign "${campaign.name}" is cancelled`);
}

export async function sendCampaign(deps: CampaignDeps, name: string, opts: SendOptions = {}): Promise<{ summary: SendSummary; error?: MktError }> {
  const campaign = await getCampaign(deps, name);
  checkSendable(campaign);
  if (!opts.dryRun) guardRenderFailures(campaign, opts.allowRenderFailures);
  const throttle = parseThrottle(opts.throttle);
  if (opts.maxDrift !== undefined) await guardDrift(deps, name, opts.maxDrift, opts);
  const providerConfig = await getProviderConfig(deps.workspace, deps.env, campaign.provider);
  if (providerConfig.channel !== campaign.channel) {
    throw new InputError('campaign_mismatch', `provider "${providerConfig.name}" sends ${providerConfig.channel}, but the campaign's channel is ${campaign.channel}`);
  }
  const template = await loadCampaignTemplate(deps.workspace, campaign);
  const backend = await sendBackend(deps, campaign, providerConfig.name, opts.onNotice);
  const { ledger } = backend;
  const variants = campaign.settings.variants ? await loadVariantTemplates(deps.workspace, campaign, template) : undefined;
  const msgCtx = { campaign: { name: campaign.name, id: campaign.id, channel: campaign.channel }, template, variants, unsubscribe: opts.unsubscribe, now: deps.now };
  const pace = paceOf({
    throttle: throttle ?? campaign.throttle,
    throttleSource: throttle !== undefined ? '--throttle' : `campaign "${campaign.name}"'s throttle`,
    providerName: providerConfig.name,
    providerRate: providerConfig.rate,
    senderRates: providerConfig.senders.map((s) => s.rate),
  });
  // Told at once (stderr) and kept in the summary (--json), whichever way the run ends.
  const warnings = pace.capped ? [{ code: pace.capped.code, message: pace.capped.message }] : [];
  for (const w of warnings) opts.onNotice?.(`${w.code}: ${w.message}`);
  let ab: AbDecision | undefined;
  const told = (summary: SendSummary): SendSummary => ({ ...summary, ...(warnings.length > 0 ? { warnings } : {}), ...(ab ? { ab_test: ab } : {}) });

  // a dry run records nothing, links included
  if (opts.dryRun) return { summary: told(await dryRun(deps.now, campaign, ledger, msgCtx, providerConfig.senders)) };
  const settings = await loadSettings(deps.workspace, deps.env);
  const track = await loadTracker({ links: deps.repos.tracking, settings, campaign, template, variants, now: deps.now });

  const lease = await backend.hold({ now: deps.now, ttlMs: opts.leaseTtlMs, signal: opts.signal });
  let provider: Awaited<ReturnType<typeof createProvider>> | undefined;
  try {
    const now = deps.now();
    const recovered = await ledger.recoverInFlight(now);
    if (recovered > 0) opts.onNotice?.(`${recovered} recipient(s) were in flight when an earlier run stopped; they are now "unknown" and will not be resent (use --retry-unknown to resend them)`);
    const requeued = await ledger.requeue([...(opts.retryUnknown ? (['unknown'] as const) : []), ...(opts.retryFailed ? (['failed'] as const) : [])], now);
    if (requeued > 0) opts.onNotice?.(`${requeued} recipient(s) put back in the queue`);
    ab = campaign.settings.test ? await decideAbTest(deps.repos.variants, campaign, now, opts.winner) : undefined;
    for (const line of ab ? abDecisionLines(ab) : []) opts.onNotice?.(line);

    const total = (await ledger.dueCount(now)) + (await ledger.waiting(now)).count;
    if (total === 0) {
      // asked before the counts: a worker that ends after this has written its outcomes already
      await backend.leave(lease);
      const others = await backend.otherWorkers(now, opts.leaseTtlMs);
      const counts = await ledger.counts();
      // nothing to claim, but other workers' rows in flight: theirs to finish (and complete)
      if (others && counts.sending > 0) return { summary: told(othersFinishing(emptySummary(campaign.name, 'sending', 'workers_finishing', counts, recovered, requeued))) };
      if (campaign.state !== 'completed') await deps.repos.campaigns.update(campaign.id, { state: 'completed', completedAt: now, pause: null }, now);
      return { summary: told(emptySummary(campaign.name, 'completed', 'nothing_to_send', counts, recovered, requeued)) };
    }

    await deps.repos.campaigns.update(campaign.id, { state: 'sending', startedAt: campaign.startedAt ?? now, pause: null }, now);
    provider = await createProvider(providerConfig, { workspace: deps.workspace, env: deps.env, now: () => new Date(deps.now()) });
    const extraCheck = opts.claimCheck ? await opts.claimCheck(deps, campaign) : undefined;
    const before = await ledger.counts();
    const recipients = Object.values(before).reduce((a, b) => a + b, 0);
    const overall = (p: Progress) => ({ recipients, sent: before.sent + p.sent, failed: before.failed + p.failed, unknown: before.unknown + p.unknown, skipped: before.skipped + p.skipped });
    const onProgress = opts.onProgress;
    const result = await dispatch({
      ledger,
      provider,
      buildMessage: messageBuilder({ ...msgCtx, track }),
      senders: providerConfig.senders.map((s) => ({ id: s.id, weight: s.weight, ratePerSec: s.rate?.perSecond, dailyCap: s.dailyCap })),
      distribution: campaign.settings.distribution ?? 'round-robin',
      ratePerSec: pace.ratePerSec,
      concurrency: opts.concurrency ?? campaign.settings.concurrency ?? providerConfig.concurrency ?? DEFAULT_CONCURRENCY,
      limit: opts.limit,
      clock: opts.clock ?? systemClock(deps.now),
      signal: lease.signal,
      policy: { ...DEFAULT_RETRY_POLICY, ...opts.policy },
      extraCheck,
      graceMs: opts.graceMs,
      onProgress: onProgress ? (p) => onProgress({ ...p, total, overall: overall(p) }) : undefined,
      onSuppress: (address, reason) => opts.onNotice?.(`provider reported ${address} as opted out (${reason}); suppressed`),
    });
    const end = deps.now();
    // this worker leaves first, then asks who is left, before the counts: of workers ending
    // together the last to leave sees no other (and all rows done), so one of them decides.
    // PostgreSQL still gone after the run stopped on it: leaving and asking fail alike; the
    // registry forgets this worker when its heartbeat expires, and the summary (exit 69) is
    // counted from what this run knows
    const dbGone = (error: unknown) => backend.kind === 'postgres' && isConnectionError(error) && result.stop === 'database';
    await Promise.resolve(backend.leave(lease)).catch((error: unknown) => {
      if (!dbGone(error)) throw error;
    });
    const otherWorkers =
      lease.stopCause === 'cancelled' || result.stop === 'cancelled'
        ? 0
        : await backend.otherWorkers(end, opts.leaseTtlMs).catch((error: unknown) => {
            if (!dbGone(error)) throw error;
            return 0;
          });
    const counts = await ledger.counts().catch((error: unknown) => {
      if (!dbGone(error)) throw error;
      return countsAfterRun(before, result);
    });
    const outcome = endOfRun(result, counts, {
      campaign: name,
      stopCause: lease.stopCause,
      storageFault: (code, reason) => backend.storageFault(code, reason),
      otherWorkers,
    });
    const { state, pause } = outcome;
    // while the others send, the campaign's state is theirs (the last one to stop decides it)
    if (!outcome.leavesState) {
      await whenFree(() => deps.repos.campaigns.update(campaign.id, { state, pause, ...(state === 'completed' ? { completedAt: end } : {}) }, end)).catch((error: unknown) => {
        // PostgreSQL still gone: the run's error says so; the next run starts from the ledger
        if (!(backend.kind === 'postgres' && isConnectionError(error) && outcome.error)) throw error;
      });
    }
    const summary = runSummary(campaign.name, state, outcome.stop ?? result.stop, result, counts, recovered, requeued);
    const own = outcome.stop === 'workers_finishing' ? othersFinishing(summary) : outcome.reason ? { ...summary, reason: outcome.reason } : summary;
    const run = { summary: told(own), error: outcome.error };
    return campaign.settings.test ? await abWaitingRun(deps.repos.variants, campaign, end, run) : run;
  } catch (error) {
    throw backend.kind === 'postgres' && isConnectionError(error) ? unreachable(error) : error;
  } finally {
    await lease.release();
    await provider?.close?.().catch(() => {});
  }
}
