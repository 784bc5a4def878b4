import type { ReportFilter, ReportRow } from '../db/ledger-report.js';
import { LEDGER_STATES } from '../db/ledger.js';
import type { ResultsStore } from '../db/results-store.js';
import { UsageError } from '../errors.js';
import { PrivateFileWriter } from '../util/private-file.js';
import { didYouMean } from '../util/suggest.js';

export type { ReportFilter };
import type { CampaignDeps } from './deps.js';
import { getCampaign } from './create.js';

export const REPORT_COLUMNS: Array<keyof ReportRow> = [
  'recipient_id',
  'customer_id',
  'address',
  'state',
  'sender',
  'provider_message_id',
  'attempts',
  'error_code',
  'error_message',
  'sent_at',
  'delivery_status',
  'variant',
];

/**
 * One CSV cell. A cell starting with = + - @ (or tab / CR) would be run as a formula by
 * spreadsheet programs (CSV injection), so it is prefixed with an apostrophe.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = String(value);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/**
 * The report as chunks of text, streamed: CSV with a header row, or a JSON array. The campaign
 * is looked up here, at the call, not on the first chunk: a generator runs nothing until it is
 * read, so an unknown name would otherwise surface only after the output file was opened.
 */
export async function reportChunks(deps: Pick<CampaignDeps, 'store' | 'repos'>, name: string, format: 'csv' | 'json', filter: ReportFilter = {}): Promise<AsyncGenerator<string>> {
  const c = await getCampaign(deps, name);
  return chunks(deps.repos.results, c.id, format, filter);
}

async function* chunks(results: ResultsStore, campaignId: number, format: 'csv' | 'json', filter: ReportFilter): AsyncGenerator<string> {
  if (format === 'csv') {
    yield REPORT_COLUMNS.join(',') + '\n';
    for await (const row of results.rows(campaignId, filter)) yield REPORT_COLUMNS.map((k) => csvCell(row[k])).join(',') + '\n';
    return;
  }
  yield '[';
  let first = true;
  for await (const row of results.rows(campaignId, filter)) {
    yield (first ? '\n' : ',\n') + JSON.stringify(row);
    first = false;
  }
  yield first ? ']\n' : '\n]\n';
}

/**
 * Writes the report to `file` as a private file (0600, no symlink followed): it lists every
 * recipient's address. It is written beside `file` and renamed into place once complete, so a
 * report that fails (a full disk mid-way, a database fault) leaves an existing file untouched.
 * A missing folder is exit 73, a full disk 74.
 */
export async function writeReport(file: string, chunks: Iterable<string> | AsyncIterable<string>): Promise<void> {
  const out = new PrivateFileWriter(file, { replace: true });
  try {
    for await (const chunk of chunks) out.write(chunk);
  } catch (e) {
    out.abandon();
    throw e;
  }
  out.close();
}

/** `--state failed,unknown` (repeatable): ledger states, checked, each named once. */
export function parseStates(values: readonly string[]): string[] {
  const states = [...new Set(values.flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean))];
  for (const s of states) {
    if (!(LEDGER_STATES as readonly string[]).includes(s)) {
      throw new UsageError(`--state: unknown state "${s}"${didYouMean(s, LEDGER_STATES)}`, { code: 'usage', hint: `states: ${LEDGER_STATES.join(', ')}` });
    }
  }
  return states;
}
