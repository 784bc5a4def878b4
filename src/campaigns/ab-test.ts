/**
 * A/B tests (`variants:` and `test: { fraction, metric, wait }` in the campaign file).
 * Prepare gives each recipient a variant from a seeded hash of the campaign and the customer
 * (weights respected; the same customer always lands in the same variant), and holds everyone
 * outside the test fraction. The first send sends the variants to the test fraction only.
 * Once `wait` has passed since the test's first message, the next send (by name or `--due`)
 * computes the metric per variant, prints a two-proportion z-test, picks the variant with the
 * higher rate (or the operator's `--winner`) and sends it to the rest.
 */
import { createHash } from 'node:crypto';
import type { Campaign } from '../db/campaigns.js';
import type { VariantMetric, VariantStore } from '../db/variant-store.js';
import { InputError, ResumableStop, type MktError } from '../errors.js';
import type { CompiledTemplate } from '../templates/contract.js';
import { loadTemplate } from '../templates/index.js';
import { withSubject } from '../templates/subject-override.js';
import { twoProportionZ } from './ab-stats.js';
import { splitTemplateRef } from './references.js';
import { parseEvery, parseFraction } from './spec.js';

type Variants = NonNullable<Campaign['settings']['variants']>;

/** Two uniform numbers in [0, 1) from the campaign and the customer: test membership, then variant. */
function draws(campaign: string, customerId: number): [number, number] {
  const h = createHash('sha256').update(`${campaign}\u0000${customerId}`).digest();
  return [h.readUInt32BE(0) / 2 ** 32, h.readUInt32BE(4) / 2 ** 32];
}

/** The variant of one customer, or null when they are held for the winner (outside the test fraction). */
export function pickVariant(campaign: string, customerId: number, variants: Variants, fraction: number | undefined): string | null {
  const [inTest, which] = draws(campaign, customerId);
  if (fraction !== undefined && inTest >= fraction) return null;
  const names = Object.keys(variants).sort();
  const total = names.reduce((a, n) => a + (variants[n]!.weight ?? 1), 0);
  let acc = 0;
  for (const n of names) {
    acc += (variants[n]!.weight ?? 1) / total;
    if (which < acc) return n;
  }
  return names[names.length - 1]!;
}

/** At prepare: every new row gets its variant or is held (the same split on either store: pickVariant decides). */
export async function applyVariants(store: VariantStore, campaign: Pick<Campaign, 'id' | 'name' | 'settings'>, now: number): Promise<number> {
  const { variants, test } = campaign.settings;
  if (!variants) return 0;
  const fraction = test ? parseFraction(test.fraction) : undefined;
  return store.assign(campaign.id, (customerId) => pickVariant(campaign.name, customerId, variants, fraction), now);
}

/** The compiled template of each variant: its own template (or the campaign's), with its subject when it has one. */
export async function loadVariantTemplates(workspace: string, campaign: Pick<Campaign, 'name' | 'id' | 'channel' | 'settings'>, base: CompiledTemplate): Promise<Map<string, CompiledTemplate>> {
  const out = new Map<string, CompiledTemplate>();
  const ids = { name: campaign.name, id: campaign.id };
  for (const [name, v] of Object.entries(campaign.settings.variants ?? {})) {
    const own = v.template ? await loadTemplate(workspace, splitTemplateRef(v.template).name, { channel: campaign.channel, campaign: ids }) : base;
    out.set(name, v.subject ? await withSubject(own, v.subject, `campaign ${campaign.name}: variants.${name}.subject`, ids) : own);
  }
  return out;
}

export interface AbFigures {
  variant: string;
  sent: number;
  successes: number;
  rate: number;
}

/** What the A/B test of a campaign is doing now, as a send sees it. */
export type AbDecision =
  | { phase: 'waiting'; held: number; decide_at: string }
  | { phase: 'decided'; metric: string; figures: AbFigures[]; z: number; p: number; significant: boolean; winner: string; chosen_by: 'metric' | '--winner'; released: number };

/** Where an A/B test stands: nothing to do, waiting for `wait` to pass, or its decision is due. */
export type AbStage = { stage: 'none' } | { stage: 'waiting'; held: number; decideAt: number } | { stage: 'due'; held: number };

export async function abStage(store: VariantStore, campaign: Pick<Campaign, 'id' | 'name' | 'settings'>, now: number, winner?: string): Promise<AbStage> {
  const { variants, test } = campaign.settings;
  if (!variants || !test) return { stage: 'none' };
  if (winner !== undefined && !(winner in variants)) {
    throw new InputError('unknown_variant', `campaign "${campaign.name}" has no variant "${winner}" (variants: ${Object.keys(variants).join(', ')})`);
  }
  const { held, testSentAt } = await store.progress(campaign.id);
  if (held === 0) return { stage: 'none' };
  if (winner !== undefined) return { stage: 'due', held };
  if (testSentAt === null) return { stage: 'none' }; // the first send: the test fraction goes out
  const decideAt = testSentAt + (parseEvery(test.wait) ?? 0);
  return now < decideAt ? { stage: 'waiting', held, decideAt } : { stage: 'due', held };
}

/**
 * Before a send: once `wait` has passed since the test's first message (or with `--winner`),
 * decide and release the held rows; undefined when there is no test or nothing is held yet.
 * The decision itself is the store's `decide`: once per campaign however many workers get here
 * together (a worker that finds the rows released already goes on sending without deciding).
 */
export async function decideAbTest(store: VariantStore, campaign: Pick<Campaign, 'id' | 'name' | 'settings'>, now: number, winner?: string): Promise<AbDecision | undefined> {
  const st = await abStage(store, campaign, now, winner);
  if (st.stage === 'none') return undefined;
  if (st.stage === 'waiting') return { phase: 'waiting', held: st.held, decide_at: new Date(st.decideAt).toISOString() };
  const { variants, test } = campaign.settings as Required<Pick<Campaign['settings'], 'variants' | 'test'>>;
  const done = await store.decide(campaign.id, test.metric, (metric) => choose(Object.keys(variants), metric, winner), now);
  if (!done) return undefined;
  return { phase: 'decided', metric: test.metric, ...done.decision, chosen_by: winner === undefined ? 'metric' : '--winner', released: done.released };
}

/** The figures per variant (best rate first), the z-test of the two best, and the winner: the metric's best unless `--winner` named one. */
function choose(names: string[], metric: VariantMetric, winner: string | undefined): { figures: AbFigures[]; z: number; p: number; significant: boolean; winner: string } {
  const figures = [...names]
    .sort()
    .map((v) => {
      const m = metric.get(v) ?? { sent: 0, successes: 0 };
      return { variant: v, sent: m.sent, successes: m.successes, rate: m.sent ? m.successes / m.sent : 0 };
    })
    .sort((a, b) => b.rate - a.rate || a.variant.localeCompare(b.variant));
  const [best, second] = figures;
  const z = second ? twoProportionZ({ successes: best!.successes, trials: best!.sent }, { successes: second.successes, trials: second.sent }) : { z: 0, p: 1, significant: false };
  return { figures, z: round(z.z, 3), p: round(z.p, 4), significant: z.significant, winner: winner ?? best!.variant };
}

const round = (x: number, d: number) => Math.round(x * 10 ** d) / 10 ** d;

/** The decision as the operator reads it (stderr). */
export function abDecisionLines(d: AbDecision): string[] {
  if (d.phase === 'waiting') return [`A/B test: ${d.held} recipient(s) wait for the winner, chosen at ${d.decide_at} (or pass --winner)`];
  return [
    ...d.figures.map((f) => `A/B test: variant ${f.variant}: ${f.successes} ${d.metric} of ${f.sent} sent (${(f.rate * 100).toFixed(2)}%)`),
    `A/B test: z = ${d.z}, p = ${d.p}: ${d.significant ? 'significant at 5%' : 'not significant'}`,
    `A/B test: winner ${d.winner} (${d.chosen_by === 'metric' ? `higher ${d.metric} rate` : 'chosen with --winner'}); sending it to the other ${d.released} recipient(s)`,
  ];
}

/**
 * After a run that sent an A/B test's fraction: the held rows wait for the winner, not for a
 * time of day, so the run's `waiting` says when the winner is chosen (instead of the far-future
 * hold time) and the hint names `--winner`.
 */
export async function abWaitingRun<S extends { stop: string; reason?: string; waiting: { count: number; until: string | null } }>(
  store: VariantStore,
  campaign: Pick<Campaign, 'id' | 'name' | 'settings'>,
  now: number,
  run: { summary: S; error?: MktError },
): Promise<{ summary: S; error?: MktError }> {
  if (run.summary.stop !== 'waiting') return run;
  const st = await abStage(store, campaign, now);
  if (st.stage !== 'waiting') return run;
  const until = new Date(st.decideAt).toISOString();
  const reason = `${st.held} recipient(s) wait for the A/B test's winner, chosen at ${until}`;
  return {
    summary: { ...run.summary, reason, waiting: { count: run.summary.waiting.count, until } },
    error: new ResumableStop('waiting', reason, { hint: `run \`mkt campaign send ${campaign.name}\` (or send --due) after ${until}, or choose now with --winner` }),
  };
}
