/**
 * "How did it do?": a campaign's results as counts and rates (`campaign status`, `compare`,
 * `report --html`), each figure `{count, rate}` with the rate over the figure's own basis:
 *
 *   sent over recipients; delivered, no report yet, bounced, complained, undelivered over sent;
 *   failed (never accepted by the provider) over recipients; opens, clicks, unsubscribes over
 *   delivered; click-to-open over unique human opens.
 *
 * Opens and clicks are unique recipients (humans), machine ones apart: mailbox proxies and link
 * scanners never count towards the rates. A rate is null when its basis is 0 (nothing delivered
 * yet, or a channel without delivery reports), never a made-up 0 %.
 */
import { totalsOf } from '../db/engagement-report.js';
import type { LedgerState } from '../db/ledger.js';
import type { ResultsStore } from '../db/results-store.js';

export interface Figure {
  count: number;
  /** 0–1, or null when the basis is 0 */
  rate: number | null;
}

export interface CampaignResults {
  sent: Figure;
  delivered: Figure;
  no_report: Figure;
  bounced: Figure;
  complained: Figure;
  undelivered: Figure;
  failed: Figure;
  /** recipients who opened at least once (a human click counts as an open) */
  unique_opens: Figure;
  machine_opens: Figure;
  /** recipients who clicked at least once */
  unique_clicks: Figure;
  machine_clicks: Figure;
  total_clicks: number;
  /** unique clicks / delivered */
  click_through: number | null;
  /** unique clicks / unique human opens */
  click_to_open: number | null;
  unsubscribes: Figure;
}

const rate = (count: number, basis: number): number | null => (basis > 0 ? Math.round((count / basis) * 100_000) / 100_000 : null);
const figure = (count: number, basis: number): Figure => ({ count, rate: rate(count, basis) });

export async function campaignResults(results: ResultsStore, campaignId: number, counts: Record<LedgerState, number>, delivery: Record<string, number>): Promise<CampaignResults> {
  const n = (k: string) => delivery[k] ?? 0;
  const recipients = Object.values(counts).reduce((a, b) => a + b, 0);
  const [{ sent, no_report }, all, unsubscribes] = await Promise.all([results.coverage(campaignId), results.totals(campaignId), results.unsubscribes(campaignId)]);
  // a read or a complaint comes from a delivered message (as the delivery rates have it)
  const delivered = n('delivered') + n('read') + n('complained');
  const opens = totalsOf(all, 'open');
  const clicks = totalsOf(all, 'click');
  return {
    sent: figure(sent, recipients),
    delivered: figure(delivered, sent),
    no_report: figure(no_report, sent),
    bounced: figure(n('bounced'), sent),
    complained: figure(n('complained'), sent),
    undelivered: figure(n('undelivered') + n('failed'), sent),
    failed: figure(counts.failed, recipients),
    unique_opens: figure(opens.unique, delivered),
    machine_opens: figure(opens.machine_unique, delivered),
    unique_clicks: figure(clicks.unique, delivered),
    machine_clicks: figure(clicks.machine_count, delivered),
    total_clicks: clicks.count,
    click_through: rate(clicks.unique, delivered),
    click_to_open: rate(clicks.unique, opens.unique),
    unsubscribes: figure(unsubscribes, delivered),
  };
}

/** The order and words the human forms (status, compare, the HTML report) show the figures in. */
export const RESULT_LABELS: Array<[key: Exclude<keyof CampaignResults, 'total_clicks' | 'click_through' | 'click_to_open'>, label: string]> = [
  ['sent', 'sent'],
  ['delivered', 'delivered'],
  ['no_report', 'no report yet'],
  ['bounced', 'bounced'],
  ['complained', 'complained'],
  ['undelivered', 'undelivered'],
  ['failed', 'failed (not accepted)'],
  ['unique_opens', 'unique opens (human)'],
  ['machine_opens', 'machine opens'],
  ['unique_clicks', 'unique clicks'],
  ['machine_clicks', 'machine clicks'],
  ['unsubscribes', 'unsubscribes'],
];

export const percent = (r: number | null): string => (r === null ? '–' : `${(r * 100).toFixed(2)}%`);
