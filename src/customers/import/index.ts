/**
 * `mkt customers import`: streams a CSV / JSON / JSON Lines file into the store as one
 * transaction. Rows are matched to existing customers (external id, else email, else phone),
 * merged, and written only when something really changed.
 */
import { UsageError } from '../../errors.js';
import type { Store } from '../../db/open.js';
import { columnKey, type ColumnMap } from '../fields.js';
import { normaliseCountry } from '../normalise.js';
import { openSource } from './prepared.js';
import { openReader } from './reader.js';
import { RejectsFile } from './rejects.js';
import { formatFromPath, type ImportFormat } from './source.js';
import { malformed } from './text.js';
import { sqliteSink } from './sink.js';

export type { ImportFormat } from './source.js';
export { openSource };

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

  // parsed and normalised on a worker thread (./reader.ts), ahead of the writes here
  const source = await openReader({ file, format, delimiter: options.delimiter, defaultCountry, map: options.map });
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

    const store = typeof storeSource === 'function' ? await storeSource() : storeSource;
    await sqliteSink(store, options.now.getTime()).write(
      async (writer) => {
        // Rows come in batches, so the sink decides once per batch which of them may match a
        // customer; they are applied in file order, so warnings, rejects and --strict failures
        // come exactly as row by row.
        for await (const { lines, values, notes } of source.batches) {
          result.read += lines.length;
          writer.prefetch(values);
          let n = 0;
          for (let at = 0; at < lines.length; at++) {
            const line = lines[at]!;
            const note = notes[n]?.at === at ? notes[n++] : undefined;
            const input = values[at];
            if (!input) {
              const reason = note!.reason!;
              if (options.strict) throw failStrict(line, `rejected: ${reason}`);
              result.rejected++;
              if (result.rejects.length < SAMPLE) result.rejects.push({ line, reason });
              rejectsFile?.add(line, reason, note!.cells, note!.object);
              continue;
            }
            if (note?.warnings) for (const w of note.warnings) warn(line, w);
            const dup = writer.apply(input, line);
            if (dup) warn(line, `same customer as line ${dup.line} (${dup.by}): line ${line} wins`);
          }
        }
        Object.assign(result, writer.counts);
      },
      !options.dryRun,
    );
    return result;
  } finally {
    source.close();
    rejectsFile?.close();
  }
}
