import { pauseText, type Campaign } from '../db/campaigns.js';
import type { VariantStore } from '../db/variant-store.js';
import type { LedgerState } from '../db/ledger-contract.js';
import type { CampaignDeps } from './deps.js';
import { getCampaign } from './create.js';
import { liveWorkersOf, type WorkerView } from './workers-view.js';
import { deliveryRates, reputationWarnings, type DeliveryRates } from '../compliance/reputation.js';
import { campaignResults, type CampaignResults } from './results.js';

/** `campaign status --json`: a stable shape for scripts (documented in README). */
export interface CampaignStatus {
  campaign: string;
  state: string;
  channel: string;
  provider: string;
  recipients: number;
  counts: Record<LedgerState, number>;
  by_sender: Record<string, number>;
  errors: Array<{ code: string; state: string; count: number; sample: string }>;
  delivery: Record<string, number>;
  /** delivered / bounced / complained / read over sent (0–1). */
  delivery_rates: DeliveryRates;
  /** Counts and rates: delivery, unique opens and clicks (machine apart), click-through, unsubscribes (src/campaigns/results.ts). */
  results: CampaignResults;
  /** SES reputation thresholds reached (bounce 5 %, complaint 0.1 %). */
  warnings: string[];
  rate_per_s: number | null;
  pause_reason: string | null;
  plan_hash: string | null;
  /** The processes sending it now: the worker registry (PostgreSQL) or the lease holder (SQLite). */
  workers: WorkerView[];
  /** A/B tests: each variant's rows and counts (`held`: waiting for the winner). */
  variants?: Array<{ variant: string; recipients: number; counts: Record<LedgerState, number>; first_sent_at: string | null; metric?: VariantMetricFigure }>;
  /** Recurring campaigns: each run's rows (the customers it appended) and their counts; totals are above. */
  runs?: Array<{ run: number; recipients: number; counts: Record<LedgerState, number>; first_sent_at: string | null }>;
  timings: { created_at: string; prepared_at: string | null; started_at: string | null; completed_at: string | null; first_sent_at: string | null; last_sent_at: string | null };
}

/** The test's metric for one variant: what the winner is picked by (src/campaigns/ab-test.ts); `leads`: the highest rate so far. */
export interface VariantMetricFigure {
  name: 'clicks' | 'opens' | 'delivered';
  count: number;
  rate: number;
  leads: boolean;
}

/** Each variant's rows and counts, and with a `test:` its metric as the decision reads it (VariantStore.metric). */
async function variantFigures(store: VariantStore, c: Pick<Campaign, 'id' | 'settings'>): Promise<NonNullable<CampaignStatus['variants']>> {
  const parts = await store.parts(c.id);
  const name = c.settings.test?.metric;
  const metric = name ? await store.metric(c.id, name) : undefined;
  const rate = (v: string | null) => {
    const m = v === null ? undefined : metric?.get(v);
    return m && m.sent ? m.successes / m.sent : 0;
  };
  const best = Math.max(0, ...parts.filter((p) => p.key !== null).map((p) => rate(p.key)));
  return parts.map(({ key, ...p }) => ({
    variant: key ?? 'held',
    ...p,
    ...(name && key !== null ? { metric: { name, count: metric?.get(key)?.successes ?? 0, rate: rate(key), leads: best > 0 && rate(key) === best } } : {}),
  }));
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export async function campaignStatus(deps: Pick<CampaignDeps, 'store' | 'repos' | 'pg'> & Partial<Pick<CampaignDeps, 'now'>>, name: string): Promise<CampaignStatus> {
  const c = await getCampaign(deps, name);
  const { reports } = deps.repos;
  const [counts, times, delivery, bySender, errors] = await Promise.all([reports.counts(c.id), reports.sendTimes(c.id), reports.delivery(c.id), reports.bySender(c.id), reports.errors(c.id)]);
  const rates = deliveryRates(delivery, counts.sent);
  const span = times.first !== null && times.last !== null ? (times.last - times.first) / 1000 : 0;
  return {
    campaign: c.name,
    state: c.state,
    channel: c.channel,
    provider: c.provider,
    recipients: Object.values(counts).reduce((a, b) => a + b, 0),
    counts,
    by_sender: bySender,
    errors,
    delivery,
    delivery_rates: rates,
    results: await campaignResults(deps.repos.results, c.id, counts, delivery),
    warnings: reputationWarnings(rates),
    rate_per_s: times.sent > 1 && span > 0 ? Math.round((times.sent / span) * 10) / 10 : null,
    pause_reason: pauseText(c.pause),
    plan_hash: c.planHash,
    workers: await liveWorkersOf(deps, c.id, deps.now?.() ?? Date.now()),
    ...(c.settings.variants ? { variants: await variantFigures(deps.repos.variants, c) } : {}),
    ...(c.settings.recurring ? { runs: (await deps.repos.flow.parts(c.id, 'run')).map(({ key, ...p }) => ({ run: key, ...p })) } : {}),
    timings: {
      created_at: iso(c.createdAt)!,
      prepared_at: iso(c.preparedAt),
      started_at: iso(c.startedAt),
      completed_at: iso(c.completedAt),
      first_sent_at: iso(times.first),
      last_sent_at: iso(times.last),
    },
  };
}
