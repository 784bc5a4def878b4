/**
 * A campaign's ledger counts split by run (recurring campaigns) or by variant (A/B tests):
 * `campaign status` shows totals and these per-part figures. Read-only; the column is one of
 * two names, never caller text.
 */
import { LEDGER_STATES, type LedgerState } from './ledger-contract.js';
import type { Store } from './open.js';

export interface LedgerPart<K> {
  key: K;
  /** Rows in this part (appended by that run, or assigned that variant). */
  recipients: number;
  counts: Record<LedgerState, number>;
  /** When the part's first message went out, ISO; null before. */
  first_sent_at: string | null;
}

const COLUMNS = { run: 'run', variant: 'variant' } as const;

export function ledgerParts<C extends keyof typeof COLUMNS>(store: Store, campaignId: number, by: C): Array<LedgerPart<C extends 'run' ? number : string | null>> {
  const col = COLUMNS[by];
  const rows = store.sqlite
    .prepare(`SELECT ${col} AS k, state, count(*) AS n, min(sent_at) AS first FROM campaign_recipients WHERE campaign_id = ? GROUP BY ${col}, state ORDER BY ${col}`)
    .all(campaignId) as PartRow[];
  return partsOf(rows);
}

/** One (key, state) group of a campaign's ledger, as both stores count it. */
export interface PartRow {
  k: number | string | null;
  state: LedgerState;
  n: number;
  first: number | null;
}

/** Groups (key, state) counts, in key order, into parts (both stores share this). */
export function partsOf<K>(rows: PartRow[]): Array<LedgerPart<K>> {
  const parts = new Map<unknown, { recipients: number; counts: Record<LedgerState, number>; first: number | null }>();
  for (const r of rows) {
    let p = parts.get(r.k);
    if (!p) {
      p = { recipients: 0, counts: Object.fromEntries(LEDGER_STATES.map((s) => [s, 0])) as Record<LedgerState, number>, first: null };
      parts.set(r.k, p);
    }
    p.recipients += r.n;
    p.counts[r.state] = r.n;
    if (r.first !== null) p.first = p.first === null ? r.first : Math.min(p.first, r.first);
  }
  return [...parts].map(([key, p]) => ({ key: key as K, recipients: p.recipients, counts: p.counts, first_sent_at: p.first === null ? null : new Date(p.first).toISOString() }));
}
