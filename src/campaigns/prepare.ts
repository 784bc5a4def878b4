/**
 * prepare: recount the segment and freeze it into the ledger, minus no-consent, suppressed,
 * invalid and duplicate addresses. One scan of customers into a temp table, then one
 * INSERT … SELECT; the whole replacement is one transaction, so a failure leaves the old list.
 */
import type { NextRun } from '../db/audience-sql.js';
import type { ExclusionRule } from '../db/audience-sql.js';
import type { Campaign, CampaignPlan, RenderFailures } from '../db/campaigns.js';
import { InputError } from '../errors.js';
import { SenderPool } from '../dispatch/sender-pool.js';
import { loadSettings } from '../compliance/config.js';
import { segmentFilter } from '../segments/index.js';
import type { CampaignDeps } from './deps.js';
import { getCampaign } from './create.js';
import { checkReferences } from './references.js';
import { localDueOf } from './send-at-local.js';
import { applyVariants } from './ab-test.js';
import { effectiveRate, estimateSeconds } from './pace.js';

/** What a prepare planned; stored with the campaign (db/campaigns.ts owns the shape). */
export type Plan = CampaignPlan;

/** Extra exclusions contributed by compliance rules (frequency caps); empty by default. */
export type ExclusionSource = (deps: CampaignDeps, campaign: Campaign) => Promise<ExclusionRule[]> | ExclusionRule[];

export interface PrepareOptions {
  refresh?: boolean;
  exclusions?: ExclusionSource;
  /** Average SMS segments per message, when the caller can estimate it (templates). */
  estimateSmsSegments?: (campaign: Campaign) => Promise<number | undefined>;
  /** The run that appends these rows (recurring campaigns); 1 by default. */
  run?: number;
  /** Instead: a new recurring run, numbered and started by the store under its lock (`run_taken` if an overlapping run did). */
  nextRun?: NextRun;
  /** Pre-flight's render of every recipient: failures are stored with the plan (send refuses them). */
  renderFailures?: RenderFailures;
}

function specOf(row: Campaign) {
  return { name: row.name, channel: row.channel, segment: row.segment, provider: row.provider, template: row.template };
}

export async function prepareCampaign(deps: CampaignDeps, name: string, opts: PrepareOptions = {}): Promise<Plan> {
  const campaign = await getCampaign(deps, name);
  const started = ['sending', 'paused', 'completed'].includes(campaign.state) || campaign.startedAt !== null;
  if (campaign.state === 'cancelled') throw new InputError('campaign_cancelled', `campaign "${name}" is cancelled`);
  if (started && !opts.refresh) {
    throw new InputError('campaign_started', `campaign "${name}" has started sending; its list can no longer be replaced`, {
      hint: 'use `mkt campaign prepare --refresh` to add only recipients who newly match',
    });
  }
  const { provider } = await checkReferences(deps.workspace, specOf(campaign));
  const now = deps.now();
  const filter = await segmentFilter(deps.workspace, campaign.segment);
  const exclusions = opts.exclusions ? await opts.exclusions(deps, campaign) : [];
  // send_at_local: the store times the rows it adds in the same transaction (no worker sees them untimed)
  const localDue = campaign.settings.send_at_local ? localDueOf(campaign, now, (await loadSettings(deps.workspace, deps.env)).defaultTimezone) : undefined;
  const prepared = await deps.repos.audience.prepare({
    campaignId: campaign.id,
    channel: campaign.channel,
    filter,
    exclusions,
    refresh: started,
    now,
    ...(opts.run !== undefined ? { run: opts.run } : {}),
    ...(opts.nextRun ? { nextRun: opts.nextRun } : {}),
    ...(localDue ? { localDue } : {}),
    // the plan hash: the spec, then the list in ledger order (db/list-hash.ts), hashed by the store
    hashSeed: JSON.stringify(specOf(campaign)),
  });
  const { counts, added, recipients } = prepared;
  // per-row settings: A/B variants, on either store (send_at_local's due times were set by prepare itself)
  if (campaign.settings.variants) await applyVariants(deps.repos.variants, campaign, now);

  const rate = effectiveRate({ throttle: campaign.throttle, providerRate: provider.rate, senderRates: provider.senders.map((s) => s.rate) });
  const segs = campaign.channel === 'sms' && opts.estimateSmsSegments ? await opts.estimateSmsSegments(campaign) : undefined;
  const pending = prepared.pending ?? recipients;
  const plan: Plan = {
    campaign: campaign.name,
    matched: counts.matched,
    excluded: counts.excluded,
    recipients,
    added,
    senders: SenderPool.plannedSplit(provider.senders.map((s) => ({ id: s.id, weight: s.weight, dailyCap: s.dailyCap })), pending),
    estimate: {
      messages: pending,
      ...(segs !== undefined ? { sms_segments: Math.round(segs * pending) } : {}),
      duration_s: estimateSeconds(pending, rate, provider.concurrency),
      rate_per_s: rate ?? null,
    },
    plan_hash: prepared.listHash!.slice(0, 16),
    prepared_at: new Date(now).toISOString(),
    ...(opts.renderFailures && opts.renderFailures.total > 0 ? { render_failures: opts.renderFailures } : {}),
  };
  await deps.repos.campaigns.update(
    campaign.id,
    {
      plan,
      planHash: plan.plan_hash,
      preparedAt: now,
      ...(started ? (campaign.state === 'completed' && added > 0 ? { state: 'paused' as const, pause: { code: null, message: 'new recipients added by prepare --refresh' } } : {}) : { state: 'prepared' }),
    },
    now,
  );
  return plan;
}

export interface Drift {
  campaign: string;
  frozen: number;
  now: number;
  joined: number;
  left: number;
  /** (joined + left) / frozen, in percent. */
  drift_percent: number;
}

/** Compares the live segment with the frozen list, without changing anything. */
export async function recountCampaign(deps: CampaignDeps, name: string, opts: Pick<PrepareOptions, 'exclusions'> = {}): Promise<Drift> {
  const campaign = await getCampaign(deps, name);
  const filter = await segmentFilter(deps.workspace, campaign.segment);
  const exclusions = opts.exclusions ? await opts.exclusions(deps, campaign) : [];
  const d = await deps.repos.audience.drift({ campaignId: campaign.id, channel: campaign.channel, filter, exclusions, now: deps.now() });
  const drift = d.frozen === 0 ? (d.now === 0 ? 0 : 100) : ((d.joined + d.left) / d.frozen) * 100;
  return { campaign: campaign.name, ...d, drift_percent: Math.round(drift * 100) / 100 };
}
