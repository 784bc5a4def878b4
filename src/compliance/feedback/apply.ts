/**
 * Applies normalised feedback to the store in one transaction: the raw event is logged, the
 * delivery outcome lands on the ledger row (matched by delivery ref, else provider message id)
 * without ever downgrading a later report, an `unknown` row that the provider reports on is
 * proven `sent`, and opt-outs / opt-ins change the suppression list.
 */
import type { FeedbackRepository } from '../../db/feedback.js';
import { DELIVERY_RANK, type DeliveryStatus, type FeedbackEvent } from './event.js';

export interface FeedbackSummary {
  events: number;
  matched: number;
  unmatched: number;
  delivery: Partial<Record<DeliveryStatus, number>>;
  proven_sent: number;
  suppressed: number;
  lifted: number;
}

export function emptySummary(): FeedbackSummary {
  return { events: 0, matched: 0, unmatched: 0, delivery: {}, proven_sent: 0, suppressed: 0, lifted: 0 };
}

/** Adds one summary into another (a batch made of several payloads). */
export function addSummary(into: FeedbackSummary, s: FeedbackSummary): void {
  for (const k of ['events', 'matched', 'unmatched', 'proven_sent', 'suppressed', 'lifted'] as const) into[k] += s[k];
  for (const [k, v] of Object.entries(s.delivery)) into.delivery[k as DeliveryStatus] = (into.delivery[k as DeliveryStatus] ?? 0) + v;
}

/** Only opt-outs that came from the recipient's own keyword are lifted by their START: never a bounce or an operator's entry. */
const LIFTABLE = 'stop_keyword';

export function applyFeedback(ledger: FeedbackRepository, events: FeedbackEvent[], now: number): FeedbackSummary {
  const summary = emptySummary();
  const { suppressions } = ledger;
  ledger.transaction(() => {
    for (const e of events) {
      summary.events++;
      ledger.log(e.source, e.kind, e.providerMessageId, e.address, e.payload, now);
      if (e.status || e.ref || e.providerMessageId) {
        const row = e.status ? ledger.find({ providerMessageId: e.providerMessageId, campaignId: e.ref?.campaignId, recipientId: e.ref?.recipientId }) : undefined;
        if (e.status) {
          if (!row) summary.unmatched++;
          else {
            summary.matched++;
            const at = e.at ?? now;
            if (ledger.provenSent(row.id, e.providerMessageId, at, now)) summary.proven_sent++;
            const old = row.delivery_status as DeliveryStatus | null;
            if (old !== e.status && (old === null || (DELIVERY_RANK[e.status] ?? 0) >= (DELIVERY_RANK[old] ?? 0))) {
              ledger.delivery(row.id, e.status, at, now);
              summary.delivery[e.status] = (summary.delivery[e.status] ?? 0) + 1;
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
