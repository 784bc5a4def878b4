/**
 * `mkt customers import`: streams a CSV / JSON / JSON Lines file into the store as one
 * transaction. Rows are matched to existing customers (external id, else email, else phone),
 * merged, and written only when something really changed.
 */
import { UsageError } from '../../errors.js';
import type { Store } from '../../db/open.js';
import { inWriteTransaction } from '../../db/transaction.js';
import { columnKey, type ColumnMap } from '../fields.js';
import { normaliseCountry } from '../normalise.js';
import { openCsv } from './csv.js';
import { openJsonArray, openJsonLines } from './json.js';
import { RejectsFile } from './rejects.js';
import { RowMapper, type CustomerInput, type RowOutcome } from './row.js';
import { formatFromPath, type ImportFormat, type RawRow, type Source } from './source.js';
import { malformed } from './text.js';
import { CustomerWriter } from './upsert.js';
import { ForgottenAddresses } from '../../db/customer-data.js';

export type { ImportFormat } from './source.js';

export interface ImportOptions {
  file: string;
  /** Default: from the file extension. */
  format?: ImportFormat;
  /** CSV only; default: detected from the header line. */
  delimiter?: string;
  map?: ColumnMap;
  /** Country (ISO alpha-2) for phone numbers of rows without one. */
  defaultCountry?: string;
  /** Any warning or reject fails the whole import. */
  strict?: boolean;
  /** Validate and count, write nothing. */
  dryRun?: boolean;
  /** Write rejected rows here (CSV). */
  rejectsFile?: string;
  now: Date;
}

export interface ImportIssue {
  line: number;
  reason: string;
}

export interface ImportResult {
  read: number;
  inserted: number;
  updated: number;
  unchanged: number;
  rejected: number;
  warnings: number;
  /** The first 100 rejected rows. */
  rejects: ImportIssue[];
  /** The first 100 warnings. */
  warning_samples: ImportIssue[];
}

const SAMPLE = 100;
/** Rows normalised ahead of writing (a few hundred KB at most). */
const BATCH = 500;

/** Opens an import file of any supported format as rows with their line numbers. */
export async function openSource(file: string, format: ImportFormat, delimiter?: string): Promise<Source> {
  if (format === 'csv') return openCsv(file, delimiter);
  return format === 'json' ? openJsonArray(file) : openJsonLines(file);
}

/** The store, or how to open it: opened only after the flags, the file and the rejects file checked out. */
export type StoreSource = Store | (() => Store | Promise<Store>);

/**
 * Imports one file. Everything happens in one transaction: a structural error in the file or a
 * `strict` failure throws an InputError naming `file:line` and leaves the store as it was.
 * Everything that can be checked without the store (the format, a missing file, a --map column,
 * the rejects file's folder) is checked before `store` is opened, so a failed start creates no
 * database.
 */
export async function importCustomers(storeSource: StoreSource, options: ImportOptions): Promise<ImportResult> {
  const { file } = options;
  const format = options.format ?? formatFromPath(file);
  if (!format) throw new UsageError(`cannot tell the format of ${file} from its extension`, { hint: 'use --format csv|json|jsonl' });
  if (options.delimiter !== undefined && format !== 'csv') throw new UsageError('--delimiter applies to CSV files only');
  let defaultCountry: string | undefined;
  if (options.defaultCountry !== undefined) {
    defaultCountry = normaliseCountry(options.defaultCountry);
    if (!defaultCountry) throw new UsageError(`--default-country "${options.defaultCountry}" is not an ISO 3166 two-letter country code`);
  }

  const source = await openSource(file, format, options.delimiter);
  if (source.header && options.map) {
    // a --map naming a column the file does not have is almost always a typo
    const columns = new Set(source.header.map(columnKey));
    for (const [key, target] of options.map) {
      if (!columns.has(key)) throw new UsageError(`--map "${target.source ?? key}": ${file} has no such column`, { hint: `its columns: ${source.header.join(', ')}` });
    }
  }
  const mapper = new RowMapper({ defaultCountry, map: options.map }, source.header);
  const rejectsFile = options.rejectsFile ? new RejectsFile(options.rejectsFile, source.header) : undefined;
  const result: ImportResult = { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, warnings: 0, rejects: [], warning_samples: [] };
  const failStrict = (line: number, what: string) => malformed({ file, line }, `${what} (--strict: nothing was imported)`, 'import_strict');
  const warn = (line: number, reason: string) => {
    if (options.strict) throw failStrict(line, reason);
    result.warnings++;
    if (result.warning_samples.length < SAMPLE) result.warning_samples.push({ line, reason });
  };

  // Rows are normalised ahead in batches, so that which of their identities exist is asked in
  // three queries per batch instead of one lookup per row; they are then applied in file order,
  // so warnings, rejects and --strict failures come exactly as row by row.
  const batch: Array<{ row: RawRow; outcome: RowOutcome }> = [];
  try {
    const store = typeof storeSource === 'function' ? await storeSource() : storeSource;
    await inWriteTransaction(
      store,
      async () => {
        const writer = new CustomerWriter(store, options.now.getTime());
        const forgotten = new ForgottenAddresses(store);
        const flush = () => {
          const inputs: CustomerInput[] = [];
          for (const b of batch) if (b.outcome.ok) inputs.push(b.outcome.input);
          writer.prefetch(inputs);
          for (const { row, outcome } of batch) {
            if (!outcome.ok) {
              if (options.strict) throw failStrict(row.line, `rejected: ${outcome.reason}`);
              result.rejected++;
              if (result.rejects.length < SAMPLE) result.rejects.push({ line: row.line, reason: outcome.reason });
              rejectsFile?.add(row.line, outcome.reason, row.cells, row.object);
              continue;
            }
            for (const w of outcome.warnings) warn(row.line, w);
            const dup = writer.apply(outcome.input, row.line);
            if (dup) warn(row.line, `same customer as line ${dup.line} (${dup.by}): line ${row.line} wins`);
          }
          batch.length = 0;
        };
        try {
          for await (const row of source.rows) {
            result.read++;
            batch.push({ row, outcome: refuseForgotten(forgotten, mapper.normalise(row)) });
            if (batch.length >= BATCH) flush();
          }
        } catch (error) {
          flush(); // a --strict failure on an earlier line is reported before a later structural error
          throw error;
        }
        flush();
        writer.dispose();
        Object.assign(result, writer.counts);
      },
      !options.dryRun,
    );
  } finally {
    rejectsFile?.close();
  }
  return result;
}

/**
 * A row holding an address erased on request (`customers forget`) is rejected, so a re-import
 * of an old list never brings that person back, as a customer or as someone to message.
 */
function refuseForgotten(forgotten: ForgottenAddresses, outcome: RowOutcome): RowOutcome {
  if (!outcome.ok) return outcome;
  const { email, phone } = outcome.input;
  if (forgotten.has('email', email) || forgotten.has('phone', phone)) {
    return { ok: false, reason: `this ${forgotten.has('email', email) ? 'email address' : 'phone number'} was erased on request (customers forget): not imported` };
  }
  return outcome;
}
