/**
 * Applies normalised feedback to the store in one transaction: the raw event is logged, the
 * delivery outcome lands on the ledger row (matched by delivery ref, else provider message id)
 * without ever downgrading a later report, an `unknown` row that the provider reports on is
 * proven `sent`, and opt-outs / opt-ins change the suppression list.
 */
import type { FeedbackRepository } from '../../db/feedback.js';
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

/** `individual`: mkt.yaml's `tracking.individual`, for campaigns that do not set their own (default: aggregates only). */
export function applyFeedback(ledger: FeedbackRepository, events: FeedbackEvent[], now: number, opts: { individual?: boolean } = {}): FeedbackSummary {
  const summary = emptySummary();
  const { suppressions } = ledger;
  ledger.transaction(() => {
    for (const e of events) {
      summary.events++;
      // the same open or click replayed (a file imported twice, a spool replayed again) counts once
      const repeated = e.engagement !== undefined && ledger.seenBefore(e.source, e.kind, e.providerMessageId, e.payload);
      ledger.log(e.source, e.kind, e.providerMessageId, e.address, e.payload, now);
      if (changesNothing(e)) bump(summary.ignored, `${e.source} ${e.type ?? e.kind}`);
      if (e.status || e.engagement) {
        const row = ledger.find({ providerMessageId: e.providerMessageId, campaignId: e.ref?.campaignId, recipientId: e.ref?.recipientId });
        if (!row) summary.unmatched++;
        else summary.matched++;
        const engage = (g: FeedbackEngagement) => {
          ledger.engagement(row!, g, e.source, e.at ?? now, now, opts.individual ?? false);
          bump(summary.engagement, engagementKey(g));
        };
        if (row && e.engagement && !repeated) engage(e.engagement);
        if (e.status) {
          if (row) {
            const at = e.at ?? now;
            if (ledger.provenSent(row.id, e.providerMessageId, at, now)) summary.proven_sent++;
            const old = row.delivery_status as DeliveryStatus | null;
            if (old !== e.status && (old === null || (DELIVERY_RANK[e.status] ?? 0) >= (DELIVERY_RANK[old] ?? 0))) {
              ledger.delivery(row.id, e.status, at, now);
              summary.delivery[e.status] = (summary.delivery[e.status] ?? 0) + 1;
              // a delivery or a read counts as engagement once: when it moves the row
              const g = engagementOfStatus(e.status);
              if (g) engage(g);
            }
          }
        }
      }
      for (const s of e.suppress ?? []) if (suppressions.add({ ...s, source: `feedback:${e.source}`, note: e.code ?? null }, now)) summary.suppressed++;
      for (const l of e.lift ?? []) {
        if (ledger.suppressedFor(l.channel, l.address) === LIFTABLE && suppressions.lift(l.channel, l.address)) summary.lifted++;
      }
    }
  });
  return summary;
}
