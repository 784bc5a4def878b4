/**
 * The reading half of an import: a file's rows parsed and normalised into `PreparedRow`s, in
 * batches, with no store in sight. It runs on a worker thread (./read-worker.ts) so that parsing
 * and the phone / address rules overlap the SQLite writes on the main thread; everything it
 * hands over is plain data (structured-clone friendly), attributes already as their JSON text.
 */
import { CUSTOMER_INPUT_COLUMNS, type CustomerInputColumn } from '../../db/customer-columns.js';
import type { ColumnMap } from '../fields.js';
import { openCsv } from './csv.js';
import { openJsonArray, openJsonLines } from './json.js';
import { RowMapper } from './row.js';
import type { ImportFormat, RawRow, Source } from './source.js';

/** What the reader needs: everything about the file, nothing about the store. */
export interface ReadOptions {
  file: string;
  format: ImportFormat;
  delimiter?: string;
  defaultCountry?: string;
  map?: ColumnMap;
  /**
   * This reader's share of the file when several read it at once (./reader.ts): every reader
   * parses every row, but normalises and yields only batch numbers `index`, `index + of`, …
   * Batches are a fixed BATCH rows each, so the readers agree on them without talking.
   */
  share?: { index: number; of: number };
}

/**
 * A row's values as the writer takes them, by slot: the CUSTOMER_INPUT_COLUMNS in order, then
 * the attributes as JSON text; `null`: the row does not give it. Arrays, not objects, and a
 * batch crosses the thread boundary as one JSON text: structured clone of the batch's objects
 * and strings was most of the reader's time, a single string is copied in one piece.
 */
export type PreparedValues = unknown[];

/** The slot of a column in PreparedValues. */
export const SLOT = Object.fromEntries(CUSTOMER_INPUT_COLUMNS.map((c, i) => [c, i])) as Record<CustomerInputColumn, number>;
export const ATTRIBUTES_SLOT = CUSTOMER_INPUT_COLUMNS.length;

/** Something to say about one row of a batch: its warnings, or why it was rejected. */
export interface PreparedNote {
  /** Index of the row in the batch. */
  at: number;
  warnings?: readonly string[];
  reason?: string;
  /** Rejected rows only: the raw row, for the --rejects file. */
  cells?: string[];
  object?: Record<string, unknown>;
}

/** Consecutive rows of the file. */
export interface PreparedBatch {
  lines: number[];
  /** Per row: its values, or null when it was rejected. */
  values: Array<PreparedValues | null>;
  /** Only the rows with warnings or a reject, in order. */
  notes: PreparedNote[];
}

export interface PreparedSource {
  /** CSV header names (known before the first row); undefined for JSON formats. */
  header?: string[];
  /** Rows in file order. A structural error is thrown after the rows before it were yielded. */
  batches: AsyncIterable<PreparedBatch>;
}

/** Rows normalised ahead of writing (a few hundred KB at most). */
export const BATCH = 500;

/** Opens an import file of any supported format as rows with their line numbers. */
export async function openSource(file: string, format: ImportFormat, delimiter?: string): Promise<Source> {
  if (format === 'csv') return openCsv(file, delimiter);
  return format === 'json' ? openJsonArray(file) : openJsonLines(file);
}

/** Opens the file (a CSV's header is read and checked now) and reads it as prepared batches. */
export async function openPrepared(options: ReadOptions): Promise<PreparedSource> {
  const source = await openSource(options.file, options.format, options.delimiter);
  const mapper = new RowMapper({ defaultCountry: options.defaultCountry, map: options.map }, source.header);
  const { index = 0, of = 1 } = options.share ?? {};
  const empty = (): PreparedBatch => ({ lines: [], values: [], notes: [] });
  async function* batches(): AsyncGenerator<PreparedBatch> {
    let batch = empty();
    /** The number of the batch being filled, and its rows so far (another reader's batch is only counted). */
    let number = 0;
    let rows = 0;
    const mine = () => number % of === index;
    try {
      for await (const chunk of source.chunks) {
        for (const row of chunk) {
          rows++;
          if (mine()) addRow(batch, row, mapper);
          if (rows >= BATCH) {
            if (mine()) yield batch;
            batch = empty();
            rows = 0;
            number++;
          }
        }
      }
    } catch (error) {
      // the rows before a structural error are still applied first (a --strict failure on an
      // earlier line is the one reported); every reader meets the error at the same row, and
      // the one whose batch holds it (only its own batches are ever filled) yields that batch first
      if (batch.lines.length > 0) yield batch;
      throw error;
    }
    if (batch.lines.length > 0) yield batch;
  }
  return { header: source.header, batches: batches() };
}

/** Normalises one row into the batch. */
function addRow(batch: PreparedBatch, row: RawRow, mapper: RowMapper): void {
  const outcome = mapper.normalise(row);
  const at = batch.lines.push(row.line) - 1;
  if (outcome.ok) {
    const input = outcome.input;
    const values: PreparedValues = new Array(ATTRIBUTES_SLOT + 1);
    for (let i = 0; i < ATTRIBUTES_SLOT; i++) values[i] = input[CUSTOMER_INPUT_COLUMNS[i]!] ?? null;
    // a `__proto__` column is an own property (row.ts), which stringify keeps
    values[ATTRIBUTES_SLOT] = Object.keys(input.attributes).length > 0 ? JSON.stringify(input.attributes) : null;
    batch.values.push(values);
    if (outcome.warnings.length > 0) batch.notes.push({ at, warnings: outcome.warnings });
  } else {
    batch.values.push(null);
    batch.notes.push({ at, reason: outcome.reason, cells: row.cells, object: row.object });
  }
}
