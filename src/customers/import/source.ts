/**
 * What every import reader produces: rows with the line they start on, so that warnings,
 * rejects and errors can name `file:line`.
 */
export type RawRow =
  /** A CSV record: cells in header order. */
  | { line: number; cells: string[]; object?: undefined }
  /** A JSON / JSON Lines object. */
  | { line: number; object: Record<string, unknown>; cells?: undefined };

export interface Source {
  /** CSV header names (known before the first row); undefined for JSON formats. */
  header?: string[];
  /**
   * The rows in file order, a chunk at a time (what one read of the file gave): a million rows
   * handed over one by one were a million awaits, a fifth of reading a CSV file.
   */
  chunks: AsyncIterable<RawRow[]>;
}

/** A source's rows one at a time. */
export async function* rowsOf(source: Source): AsyncGenerator<RawRow> {
  for await (const chunk of source.chunks) yield* chunk;
}

/** Rows one at a time as chunks of one. */
export async function* oneByOne(rows: AsyncIterable<RawRow>): AsyncGenerator<RawRow[]> {
  for await (const row of rows) yield [row];
}

export type ImportFormat = 'csv' | 'json' | 'jsonl';
export const IMPORT_FORMATS: readonly ImportFormat[] = ['csv', 'json', 'jsonl'];

/** The format from a file's extension (`.csv .tsv .txt`, `.json`, `.jsonl .ndjson`), else undefined. */
export function formatFromPath(file: string): ImportFormat | undefined {
  const ext = /\.([a-z]+)$/i.exec(file)?.[1]?.toLowerCase();
  if (ext === 'csv' || ext === 'tsv' || ext === 'txt') return 'csv';
  if (ext === 'json') return 'json';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  return undefined;
}
