/**
 * What recording engagement does, once, for both stores: recordBatch (hourly counts, the
 * seen-set behind unique counts, the per-recipient event) and moveToMachine (a sweep's earlier
 * clicks reclassified), written as generators that yield each store operation they need and
 * receive its answer. SQLite (engagement.ts) runs a plan synchronously, PostgreSQL
 * (pg/engagement.ts) awaits each operation, so the two stores count the same hits the same way.
 */
import { createHmac } from 'node:crypto';

export const ENGAGEMENT_KINDS = ['click', 'open', 'delivered', 'read', 'unsubscribe'] as const;
export type EngagementKind = (typeof ENGAGEMENT_KINDS)[number];

export const ENGAGEMENT_SOURCES = ['serve', 'ses', 'twilio', 'meta'] as const;
export type EngagementSource = (typeof ENGAGEMENT_SOURCES)[number];

export interface EngagementHit {
  campaignId: number;
  /** the ledger row (campaign_recipients.id) the hit is about */
  ledgerId: number;
  /** written only into engagement_events, i.e. only when `individual` */
  customerId: number;
  kind: EngagementKind;
  /** 0 = not about one link (opens, deliveries …) */
  linkId: number;
  machine: boolean;
  /** why it was classed machine (head, scanner_ua, after_delivery, all_links, mail_proxy) */
  reason?: string | null;
  userAgentClass?: string | null;
  at: number;
  source: EngagementSource;
  /** the campaign's privacy mode: true also stores the per-recipient event */
  individual: boolean;
}

export interface EngagementResult {
  /** the first hit of this kind on this link (0: on the campaign) by this recipient, human or machine as classed */
  first: boolean;
  /** for clicks: the first click on any link of the campaign by this recipient */
  firstForCampaign: boolean;
  /** a human click that counted as this recipient's first unique human open */
  openImplied: boolean;
  /** the engagement_events row written (individual only) */
  eventId?: number;
}

/** A click recorded human that turned out to be part of a sweep: what it counted, to undo. */
export interface SweepMove {
  campaignId: number;
  ledgerId: number;
  linkId: number;
  at: number;
  result: EngagementResult;
}

const HOUR = 3_600_000;
const DIGEST_BYTES = 16;

export const hourOf = (at: number): number => Math.floor(at / HOUR) * HOUR;

/** The seen-set digest of a ledger row under its campaign's key (see engagement.ts). */
export const digestOf = (key: Buffer, ledgerId: number): Buffer => createHmac('sha256', key).update(String(ledgerId)).digest().subarray(0, DIGEST_BYTES);

/** Which of `ledgerIds` have their digest among `digests` (a campaign's seen rows of one kind): both stores' seen-set reads. */
export function seenAmong(key: Buffer, digests: Iterable<Uint8Array>, ledgerIds: number[]): Set<number> {
  const seen = new Set([...digests].map((d) => Buffer.from(d).toString('hex')));
  return new Set(ledgerIds.filter((id) => seen.has(digestOf(key, id).toString('hex'))));
}

export interface HourlyRow {
  campaignId: number;
  linkId: number;
  hour: number;
  kind: EngagementKind;
  machine: number;
  count: number;
  unique: number;
}

export interface SeenRow {
  campaignId: number;
  kind: EngagementKind;
  linkId: number;
  machine: number;
  digest: Buffer;
}

export interface EventRow {
  campaignId: number;
  ledgerId: number;
  customerId: number;
  kind: EngagementKind;
  linkId: number;
  machine: number;
  reason: string | null;
  userAgentClass: string | null;
  at: number;
  source: string;
}

/** One store operation a plan asks for, and (in the comment) what the store answers. */
export type EngagementOp =
  /** → Buffer: the campaign's seen-set key, created at `at` if it has none */
  | { op: 'key'; campaignId: number; at: number }
  /** → boolean: inserted (it was not in the seen-set) */
  | { op: 'seen'; row: SeenRow }
  /** → nothing */
  | { op: 'unseen'; row: SeenRow }
  /** → number: the engagement_events id */
  | { op: 'event'; row: EventRow }
  /** → nothing: adds count and unique to the row (creating it); `dropIfEmpty` then deletes it when both are 0 */
  | { op: 'hourly'; row: HourlyRow; dropIfEmpty: boolean }
  /** → nothing: the event becomes machine, `all_links` */
  | { op: 'remark'; eventId: number };

export type EngagementPlan<T> = Generator<EngagementOp, T, unknown>;

/** Runs a plan against a synchronous store. */
export function runPlan<T>(plan: EngagementPlan<T>, exec: (op: EngagementOp) => unknown): T {
  let step = plan.next();
  while (!step.done) step = plan.next(exec(step.value));
  return step.value;
}

/** Runs a plan against an asynchronous store, one operation at a time, in order. */
export async function runPlanAsync<T>(plan: EngagementPlan<T>, exec: (op: EngagementOp) => Promise<unknown>): Promise<T> {
  let step = plan.next();
  while (!step.done) step = plan.next(await exec(step.value));
  return step.value;
}

/**
 * Records hits in order with the results of one call per hit: the hourly counts always, the
 * seen-set for uniqueness, the per-recipient event only when `individual`. A click also adds to
 * the campaign-wide (link 0) click row, and a human click counts as a human open for unique opens
 * (a reader who clicked has opened, even with images off). Within the batch a recipient's digest
 * and "seen" answers are remembered and the hourly increments summed, so a burst costs one
 * operation per row it changes.
 */
export function* recordPlan(hits: EngagementHit[]): EngagementPlan<EngagementResult[]> {
  const digests = new Map<string, Buffer>();
  const keys = new Map<number, Buffer>();
  const seen = new Set<string>();
  const sums = new Map<string, HourlyRow>();
  const results: EngagementResult[] = [];
  for (const h of hits) {
    const machine = h.machine ? 1 : 0;
    const who = `${h.campaignId}.${h.ledgerId}`;
    let digest = digests.get(who);
    if (!digest) {
      let key = keys.get(h.campaignId);
      if (!key) keys.set(h.campaignId, (key = (yield { op: 'key', campaignId: h.campaignId, at: h.at }) as Buffer));
      digests.set(who, (digest = digestOf(key, h.ledgerId)));
    }
    const d = digest;
    const firstOn = function* (kind: EngagementKind, linkId: number): EngagementPlan<boolean> {
      const k = `${who}.${kind}.${linkId}.${machine}`;
      if (seen.has(k)) return false;
      seen.add(k);
      return (yield { op: 'seen', row: { campaignId: h.campaignId, kind, linkId, machine, digest: d } }) as boolean;
    };
    const bump = (kind: EngagementKind, linkId: number, count: number, unique: boolean) => {
      if (count === 0 && !unique) return;
      const hour = hourOf(h.at);
      const k = `${h.campaignId}.${linkId}.${hour}.${kind}.${machine}`;
      const row = sums.get(k) ?? { campaignId: h.campaignId, linkId, hour, kind, machine, count: 0, unique: 0 };
      row.count += count;
      row.unique += unique ? 1 : 0;
      sums.set(k, row);
    };
    const first = yield* firstOn(h.kind, h.linkId);
    bump(h.kind, h.linkId, 1, first);
    let firstForCampaign = first;
    let openImplied = false;
    if (h.kind === 'click' && h.linkId !== 0) {
      firstForCampaign = yield* firstOn('click', 0);
      bump('click', 0, 1, firstForCampaign);
      if (!h.machine && firstForCampaign) openImplied = yield* firstOn('open', 0);
      bump('open', 0, 0, openImplied);
    }
    let eventId: number | undefined;
    if (h.individual) {
      const row: EventRow = { campaignId: h.campaignId, ledgerId: h.ledgerId, customerId: h.customerId, kind: h.kind, linkId: h.linkId, machine, reason: h.reason ?? null, userAgentClass: h.userAgentClass ?? null, at: h.at, source: h.source };
      eventId = (yield { op: 'event', row }) as number;
    }
    results.push({ first, firstForCampaign, openImplied, ...(eventId === undefined ? {} : { eventId }) });
  }
  for (const row of sums.values()) yield { op: 'hourly', row, dropIfEmpty: false };
  return results;
}

/**
 * Moves clicks recorded human to machine (`all_links`): they were the earlier clicks of a sweep
 * over every link. Each undoes what recordPlan counted for it (human count and unique count at
 * its hour, on its link and campaign-wide, the human open it implied, the seen rows it added, so
 * a later genuine click or open by that recipient is still a unique human one) and counts it
 * machine instead; its event, if any, is re-marked.
 */
export function* moveToMachinePlan(moves: SweepMove[]): EngagementPlan<void> {
  const keys = new Map<number, Buffer>();
  for (const m of moves) {
    let key = keys.get(m.campaignId);
    if (!key) keys.set(m.campaignId, (key = (yield { op: 'key', campaignId: m.campaignId, at: m.at }) as Buffer));
    const digest = digestOf(key, m.ledgerId);
    const hour = hourOf(m.at);
    const add = (linkId: number, kind: EngagementKind, machine: number, count: number, unique: number): EngagementOp => ({
      op: 'hourly',
      row: { campaignId: m.campaignId, linkId, hour, kind, machine, count, unique },
      dropIfEmpty: count < 0 || unique < 0,
    });
    const seenRow = (kind: EngagementKind, linkId: number, machine: number): SeenRow => ({ campaignId: m.campaignId, kind, linkId, machine, digest });
    const r = m.result;
    yield add(m.linkId, 'click', 0, -1, r.first ? -1 : 0);
    yield add(0, 'click', 0, -1, r.firstForCampaign ? -1 : 0);
    if (r.openImplied) yield add(0, 'open', 0, 0, -1);
    if (r.first) yield { op: 'unseen', row: seenRow('click', m.linkId, 0) };
    if (r.firstForCampaign) yield { op: 'unseen', row: seenRow('click', 0, 0) };
    if (r.openImplied) yield { op: 'unseen', row: seenRow('open', 0, 0) };
    const onLink = (yield { op: 'seen', row: seenRow('click', m.linkId, 1) }) as boolean;
    yield add(m.linkId, 'click', 1, 1, onLink ? 1 : 0);
    const onCampaign = (yield { op: 'seen', row: seenRow('click', 0, 1) }) as boolean;
    yield add(0, 'click', 1, 1, onCampaign ? 1 : 0);
    if (r.eventId !== undefined) yield { op: 'remark', eventId: r.eventId };
  }
}
