/**
 * The chaos checker: compares what the fake provider ACCEPTED (its receipts) with what the
 * ledger says, per recipient.
 *
 *   duplicated  an address the provider accepted more than once
 *   lost        a `sent` row the provider never accepted, or an accepted message whose row
 *               ended `pending` / `failed` / `skipped` (mkt would send it again, or claims it did not go out)
 *   unknown     rows ending `unknown` (may or may not have gone out: reconcile via docs/provider-facts.md §8)
 *   unexpected  an accepted address that is not in the ledger at all
 *
 * Required after every scenario: no duplicated, no lost, no unexpected, and unknown within the
 * scenario's bound (what was in flight at each crash, or each ambiguous fault injected).
 */
export interface LedgerRow {
  address: string;
  state: string;
}

export interface ChaosReport {
  scenario: string;
  seed: number;
  recipients: number;
  received: number;
  duplicated: string[];
  lost: string[];
  unknown: string[];
  unexpected: string[];
  /** Rows still pending/sending at the end (the scenario decides whether that is allowed). */
  unfinished: string[];
  /** The bound `unknown` must stay within. */
  maxUnknown: number;
  /** Scenario-specific violations (e.g. a suppressed address received after the suppression). */
  violations: string[];
  notes: Record<string, unknown>;
}

export function check(scenario: string, seed: number, receivedAddresses: string[], rows: LedgerRow[], maxUnknown: number): ChaosReport {
  const received = new Map<string, number>();
  for (const a of receivedAddresses) received.set(a, (received.get(a) ?? 0) + 1);
  const byAddress = new Map(rows.map((r) => [r.address, r.state]));
  const lost: string[] = [];
  for (const r of rows) {
    const got = received.has(r.address);
    if (r.state === 'sent' && !got) lost.push(r.address);
    if ((r.state === 'pending' || r.state === 'failed' || r.state === 'skipped') && got) lost.push(r.address);
  }
  return {
    scenario,
    seed,
    recipients: rows.length,
    received: receivedAddresses.length,
    duplicated: [...received].filter(([, n]) => n > 1).map(([a]) => a),
    lost,
    unknown: rows.filter((r) => r.state === 'unknown').map((r) => r.address),
    unexpected: [...received.keys()].filter((a) => !byAddress.has(a)),
    unfinished: rows.filter((r) => r.state === 'pending' || r.state === 'sending').map((r) => r.address),
    maxUnknown,
    violations: [],
    notes: {},
  };
}

/** The problems in a report, as readable lines (empty = the scenario kept every promise). */
export function problems(r: ChaosReport, opts: { allowUnfinished?: boolean } = {}): string[] {
  const out: string[] = [];
  const list = (xs: string[]) => xs.slice(0, 5).join(', ') + (xs.length > 5 ? ` … (${xs.length})` : '');
  if (r.duplicated.length) out.push(`duplicated: ${list(r.duplicated)}`);
  if (r.lost.length) out.push(`lost: ${list(r.lost)}`);
  if (r.unexpected.length) out.push(`unexpected: ${list(r.unexpected)}`);
  if (r.unknown.length > r.maxUnknown) out.push(`unknown ${r.unknown.length} > bound ${r.maxUnknown}`);
  if (!opts.allowUnfinished && r.unfinished.length) out.push(`unfinished: ${list(r.unfinished)}`);
  out.push(...r.violations);
  return out.map((p) => `[${r.scenario} seed=${r.seed}] ${p}`);
}

/** One line per scenario for the run's log. */
export function summaryLine(r: ChaosReport): string {
  return `${r.scenario.padEnd(22)} seed=${r.seed} recipients=${r.recipients} received=${r.received} duplicated=${r.duplicated.length} lost=${r.lost.length} unknown=${r.unknown.length}/${r.maxUnknown} unexpected=${r.unexpected.length} ${JSON.stringify(r.notes)}`;
}
