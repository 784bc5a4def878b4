/**
 * Applies normalised feedback inside the caller's transaction (either store): the raw event is logged, the
 * delivery outcome lands on the ledger row (matched by delivery ref, else provider message id)
 * without ever downgrading a later report, an `unknown` row that the provider reports on is
 * proven `sent`, and opt-outs / opt-ins change the suppression list.
 */
import type { EngagementSource } from '../../db/engagement.js';
import type { LedgerMatch } from '../../db/feedback.js';
import type { TrackingTx } from '../../db/tracking-store.js';
import { DELIVERY_RANK, engagementOfStatus, type DeliveryStatus, type FeedbackEngagement, type FeedbackEvent } from './event.js';

export interface FeedbackSummary {
  events: number;
  matched: number;
  unmatched: number;
  delivery: Partial<Record<DeliveryStatus, number>>;
  /** Opens, clicks, deliveries and reads counted as campaign engagement (`machine_open`, `machine_click` apart). */
  engagement: Record<string, number>;
  proven_sent: number;
  suppressed: number;
  lifted: number;
  /** Events that change nothing, by `<source> <provider's event type>` (kept in feedback_events, never dropped unsaid). */
  ignored: Record<string, number>;
}

export function emptySummary(): FeedbackSummary {
  return { events: 0, matched: 0, unmatched: 0, delivery: {}, engagement: {}, proven_sent: 0, suppressed: 0, lifted: 0, ignored: {} };
}

const bump = (into: Record<string, number>, key: string, n = 1) => (into[key] = (into[key] ?? 0) + n);

/** Adds one summary into another (a batch made of several payloads). */
export function addSummary(into: FeedbackSummary, s: FeedbackSummary): void {
  for (const k of ['events', 'matched', 'unmatched', 'proven_sent', 'suppressed', 'lifted'] as const) into[k] += s[k];
  for (const [k, v] of Object.entries(s.delivery)) into.delivery[k as DeliveryStatus] = (into.delivery[k as DeliveryStatus] ?? 0) + v;
  for (const [k, v] of Object.entries(s.engagement)) bump(into.engagement, k, v);
  for (const [k, v] of Object.entries(s.ignored)) bump(into.ignored, k, v);
}

/** An event that neither reports a delivery, nor engagement, nor opts anyone in or out. */
const changesNothing = (e: FeedbackEvent) => !e.status && !e.engagement && !e.suppress?.length && !e.lift?.length;

/** How an engagement shows in the summary: `open`, `machine_open`, `click` … */
const engagementKey = (g: FeedbackEngagement) => (g.machine ? `machine_${g.kind}` : g.kind);

/** Only opt-outs that came from the recipient's own keyword are lifted by their START: never a bounce or an operator's entry. */
const LIFTABLE = 'stop_keyword';

/**
 * Counts a reported open, click, delivery or read on the campaign (hourly counts, and the
 * per-recipient event when the campaign tracks individually: its own setting, else
 * `individualByDefault`, mkt.yaml's `tracking.individual`). A clicked URL the campaign has not
 * registered yet (the provider's own click tracking wrapped it) is added to its links.
 */
async function countEngagement(tx: TrackingTx, row: LedgerMatch, g: FeedbackEngagement, source: EngagementSource, at: number, now: number, individualByDefault: boolean): Promise<void> {
  const linkId = g.url ? ((await tx.engagement.registerLinks(row.campaign_id, [{ url: g.url, kind: 'link' }], now)).get(g.url) ?? 0) : 0;
  await tx.engagement.recordBatch([
    {
      campaignId: row.campaign_id,
      ledgerId: row.id,
      customerId: row.customer_id,
      kind: g.kind,
      linkId,
      machine: g.machine ?? false,
      reason: g.reason ?? null,
      at,
      source,
      individual: row.individual === null ? individualByDefault : row.individual === 1,
    },
  ]);
}

/**
 * `individual`: mkt.yaml's `tracking.individual`, for campaigns that do not set their own
 * (default: aggregates only). Run it inside one `TrackingStore.transaction`: all or nothing.
 */
export async function applyFeedback(tx: TrackingTx, events: FeedbackEvent[], now: number, opts: { individual?: boolean } = {}): Promise<FeedbackSummary> {
  const summary = emptySummary();
  const ledger = tx.feedback;
  for (const e of events) {
    summary.events++;
    // the same open or click replayed (a file imported twice, a spool replayed again) counts once
    const repeated = e.engagement !== undefined && (await ledger.seenBefore(e.source, e.kind, e.providerMessageId, e.payload));
    await ledger.log(e.source, e.kind, e.providerMessageId, e.address, e.payload, now);
    if (changesNothing(e)) bump(summary.ignored, `${e.source} ${e.type ?? e.kind}`);
    if (e.status || e.engagement) {
      const row = await ledger.find({ providerMessageId: e.providerMessageId, campaignId: e.ref?.campaignId, recipientId: e.ref?.recipientId });
      if (!row) summary.unmatched++;
      else summary.matched++;
      const engage = async (g: FeedbackEngagement) => {
        await countEngagement(tx, row!, g, e.source, e.at ?? now, now, opts.individual ?? false);
        bump(summary.engagement, engagementKey(g));
      };
      if (row && e.engagement && !repeated) await engage(e.engagement);
      if (e.status && row) {
        const at = e.at ?? now;
        if (await ledger.provenSent(row.id, e.providerMessageId, at, now)) summary.proven_sent++;
        const old = row.delivery_status as DeliveryStatus | null;
        if (old !== e.status && (old === null || (DELIVERY_RANK[e.status] ?? 0) >= (DELIVERY_RANK[old] ?? 0))) {
          await ledger.delivery(row.id, e.status, at, now);
          summary.delivery[e.status] = (summary.delivery[e.status] ?? 0) + 1;
          // a delivery or a read counts as engagement once: when it moves the row
          const g = engagementOfStatus(e.status);
          if (g) await engage(g);
        }
      }
    }
    for (const s of e.suppress ?? []) if (await ledger.suppress({ ...s, source: `feedback:${e.source}`, note: e.code ?? null }, now)) summary.suppressed++;
    for (const l of e.lift ?? []) {
      if ((await ledger.suppressedFor(l.channel, l.address)) === LIFTABLE && (await ledger.lift(l.channel, l.address))) summary.lifted++;
    }
  }
  return summary;
}
