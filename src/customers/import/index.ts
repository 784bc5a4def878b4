/**
 * `mkt customers import`: streams a CSV / JSON / JSON Lines file into the store as one
 * transaction. Rows are matched to existing customers (external id, else email, else phone),
 * merged, and written only when something really changed.
 */
import { InputError, UsageError } from '../../errors.js';
import type { ForgottenCheck, ImportStore } from '../../db/import-store.js';
import type { Store } from '../../db/open.js';
import { sqliteImportStore } from '../../db/sqlite-import-store.js';
import { columnKey, type ColumnMap } from '../fields.js';
import { normaliseCountry } from '../normalise.js';
import { openSource, SLOT, type PreparedValues } from './prepared.js';
import { openReader } from './reader.js';
import { RejectsFile } from './rejects.js';
import { formatFromPath, type ImportFormat } from './source.js';
import { malformed } from './text.js';
import { importSink, type RowWriter } from './sink.js';
import type { LateDuplicate } from './upsert.js';

export type { ImportFormat } from './source.js';
export { openSource };
export { readerThreads } from './reader.js';

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
  /** Threads that read the file (default 1; `readerThreads` says how many suit a store). */
  readers?: number;
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

/** Either store (an SQLite Store, or any store's `repos.imports`). */
export type ImportTarget = Store | ImportStore;
/** The store, or how to open it: opened only after the flags, the file and the rejects file checked out. */
export type StoreSource = ImportTarget | (() => ImportTarget | Promise<ImportTarget>);

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

  // parsed and normalised on worker threads (./reader.ts), ahead of the writes here
  const source = await openReader({ file, format, delimiter: options.delimiter, defaultCountry, map: options.map }, options.readers ?? 1);
  let rejectsFile: RejectsFile | undefined;
  try {
    if (source.header && options.map) {
      // a --map naming a column the file does not have is almost always a typo
      const columns = new Set(source.header.map(columnKey));
      for (const [key, target] of options.map) {
        if (!columns.has(key)) throw new UsageError(`--map "${target.source ?? key}": ${file} has no such column`, { hint: `its columns: ${source.header.join(', ')}` });
      }
    }
    rejectsFile = options.rejectsFile ? new RejectsFile(options.rejectsFile, source.header) : undefined;
    const result: ImportResult = { read: 0, inserted: 0, updated: 0, unchanged: 0, rejected: 0, warnings: 0, rejects: [], warning_samples: [] };
    const failStrict = (line: number, what: string) => malformed({ file, line }, `${what} (--strict: nothing was imported)`, 'import_strict');
    const warn = (line: number, reason: string) => {
      if (options.strict) throw failStrict(line, reason);
      result.warnings++;
      if (result.warning_samples.length < SAMPLE) result.warning_samples.push({ line, reason });
    };

    const target = typeof storeSource === 'function' ? await storeSource() : storeSource;
    const store = 'sqlite' in target ? sqliteImportStore(target) : target;
    const forgotten = await store.forgotten();
    const dupReason = (d: LateDuplicate) => `same customer as line ${d.line} (${d.by}): line ${d.at} wins`;
    await importSink(store, options.now.getTime()).write(
      async (writer) => {
        try {
          await readInto(writer);
        } catch (error) {
          // a sink that tells duplicates only at the end (PostgreSQL): under --strict one on an
          // earlier line than this failure is the one to report, as row by row
          const first = options.strict && error instanceof InputError ? (await writer.finish())[0] : undefined;
          throw first ? failStrict(first.at, dupReason(first)) : error;
        }
        const late = await writer.finish();
        if (late.length > 0) {
          if (options.strict) throw failStrict(late[0]!.at, dupReason(late[0]!));
          result.warnings += late.length;
          result.warning_samples = inLineOrder(result.warning_samples, late.map((d) => ({ line: d.at, reason: dupReason(d) }))).slice(0, SAMPLE);
        }
        Object.assign(result, writer.counts);
      },
      !options.dryRun,
    );
    return result;

    async function readInto(writer: RowWriter): Promise<void> {
      // Rows come in batches, so the sink decides once per batch which of them may match a
      // customer; they are applied in file order, so warnings, rejects and --strict failures
      // come exactly as row by row.
      for await (const { lines, values, notes } of source.batches) {
        result.read += lines.length;
        await writer.prefetch(values);
        let n = 0;
        for (let at = 0; at < lines.length; at++) {
          const line = lines[at]!;
          const note = notes[n]?.at === at ? notes[n++] : undefined;
          const input = values[at];
          const erased = input ? forgottenReason(forgotten, input) : undefined;
          if (!input || erased) {
            const reason = erased ?? note!.reason!;
            if (options.strict) throw failStrict(line, `rejected: ${reason}`);
            result.rejected++;
            if (result.rejects.length < SAMPLE) result.rejects.push({ line, reason });
            rejectsFile?.add(line, reason, note?.cells, note?.object);
            continue;
          }
          if (note?.warnings) for (const w of note.warnings) warn(line, w);
          const dup = writer.apply(input, line);
          if (dup) warn(line, dupReason({ ...dup, at: line }));
        }
      }
    }
  } finally {
    source.close();
    rejectsFile?.close();
  }
}

/**
 * A row holding an address erased on request (`customers forget`) is rejected, so a re-import
 * of an old list never brings that person back, as a customer or as someone to message.
 */
function forgottenReason(forgotten: ForgottenCheck, values: PreparedValues): string | undefined {
  const email = values[SLOT.email] as string | null;
  const phone = values[SLOT.phone] as string | null;
  if (forgotten.has('email', email)) return 'this email address was erased on request (customers forget): not imported';
  if (forgotten.has('phone', phone)) return 'this phone number was erased on request (customers forget): not imported';
  return undefined;
}

/** Two line-ordered lists as one; on the same line the first list's entries (a row's own warnings) come first. */
function inLineOrder(a: ImportIssue[], b: ImportIssue[]): ImportIssue[] {
  const out: ImportIssue[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) out.push(j >= b.length || (i < a.length && a[i]!.line <= b[j]!.line) ? a[i++]! : b[j++]!);
  return out;
}
