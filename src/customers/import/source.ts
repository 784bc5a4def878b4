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
  rows: AsyncIterable<RawRow>;
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
