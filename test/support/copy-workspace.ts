/**
 * The workspace the `db copy` e2e tests move between the stores (test/e2e/db-store.test.ts up,
 * test/e2e/db-copy-back.test.ts down): customers, a suppression, a campaign prepared and partly
 * sent, so that the ledger and the senders' usage hold rows; and every table a copy moves, by name.
 */
import { readQuery } from './campaign-workspace.js';

/** The tables `db copy` moves, in its --json order (written out: the documented shape). */
export const COPY_TABLES = ['customers', 'suppressions', 'campaigns', 'campaign_recipients', 'feedback_events', 'sender_usage', 'forgotten_addresses', 'campaign_links', 'engagement_hourly', 'engagement_events', 'engagement_keys', 'engagement_seen'];

/** CLI steps (each must exit 0) that leave a workspace with a campaign "spring" sent to 5 of its recipients. */
export const SENT_WORKSPACE_STEPS: string[][] = [
  ['customers', 'seed', '--count', '200'],
  ['suppress', 'add', 'gone@example.com', '--channel', 'email'],
  ['campaign', 'create', '--name', 'spring', '--channel', 'email', '--segment', 'everyone-email', '--provider', 'outbox', '--template', 'spring-sale'],
  ['campaign', 'prepare', 'spring'],
  ['campaign', 'send', 'spring', '--limit', '5', '--yes'],
];

/** Rows per copied table of an SQLite file. */
export function tableCounts(file: string): Record<string, number> {
  const query = readQuery(file);
  return Object.fromEntries(COPY_TABLES.map((t) => [t, query<{ n: number }>(`SELECT count(*) AS n FROM ${t}`)[0]!.n]));
}
