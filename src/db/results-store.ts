/**
 * The read side of a campaign's results as both stores give it (`campaign status` engagement
 * figures, `links`, `compare`, `report` rows, `report --html`): SQLite in ./sqlite-results.ts
 * (wrapping ./engagement-report.ts and ./ledger-report.ts), PostgreSQL in ./pg/results.ts.
 * test/unit/db/results-contract.test.ts holds the two equal. Nothing here writes.
 */
import type { KindTotals, LinkStats, TimelineHour } from './engagement-report.js';
import type { ReportFilter, ReportRow } from './ledger-report.js';

export interface ResultsStore {
  /** Engagement totals by kind (click, open, delivered, read, unsubscribe), human and machine apart. */
  totals(campaignId: number): Promise<Record<string, KindTotals>>;
  /** Sent rows, and those of them with no final provider report yet. */
  coverage(campaignId: number): Promise<{ sent: number; no_report: number }>;
  /** Opt-outs through this campaign's own unsubscribe link. */
  unsubscribes(campaignId: number): Promise<number>;
  /** Each link the campaign sent with its clicks, most clicked first. */
  links(campaignId: number): Promise<LinkStats[]>;
  /** Per UTC hour: sent, delivered, human opens and clicks. */
  timeline(campaignId: number): Promise<TimelineHour[]>;
  /** Every recipient row (or those the filter keeps) in ledger order, streamed: memory flat in the list's size. */
  rows(campaignId: number, filter?: ReportFilter): AsyncIterable<ReportRow>;
}
