import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse, type CsvError } from 'csv-parse';
import { columnKey } from '../fields.js';
import { lfOnly, malformed, readText } from './text.js';
import type { RawRow, Source } from './source.js';

/** Delimiters recognised by detection, in order of preference on a tie. */
export const CSV_DELIMITERS = [',', ';', '\t', '|'] as const;

/**
 * The delimiter of a CSV file from its header line: the candidate that occurs most often outside
 * quotes (a header names several columns, so the real delimiter appears there most). A tie or no
 * candidate at all (a one-column file) goes to the earlier candidate in `CSV_DELIMITERS`.
 */
export function detectDelimiter(headerLine: string): string {
  const counts = new Map<string, number>(CSV_DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  for (const ch of headerLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best: string = CSV_DELIMITERS[0];
  for (const d of CSV_DELIMITERS) if (counts.get(d)! > counts.get(best)!) best = d;
  return best;
}

/**
 * Where the quoted field that is never closed starts. The parser only reports where the file
 * ended; the user needs the line where the opening quote is. Runs only on that error path.
 */
export async function findUnclosedQuote(file: string, delimiter: string): Promise<number | undefined> {
  let line = 1;
  let quoted = false;
  let fieldStart = true;
  let maybeClose = false; // inside quotes, saw `"`: closing, unless the next char is `"` (escaped)
  let openedAt = 0;
  for await (const chunk of lfOnly(readText(file))) {
    for (let i = 0; i < chunk.length; i++) {
      const ch = chunk[i];
      if (maybeClose) {
        maybeClose = false;
        if (ch === '"') continue;
        quoted = false;
      }
      if (quoted) {
        if (ch === '"') maybeClose = true;
        else if (ch === '\n') line++;
        continue;
      }
      if (ch === '"' && fieldStart) {
        quoted = true;
        openedAt = line;
        fieldStart = false;
      } else if (ch === delimiter) fieldStart = true;
      else if (ch === '\n') {
        line++;
        fieldStart = true;
      } else fieldStart = false;
    }
  }
  return quoted && !maybeClose ? openedAt : undefined;
}

function newlines(cells: string[]): number {
  let n = 0;
  for (const cell of cells) {
    if (cell.length === 0 || !cell.includes('\n')) continue;
    for (let i = cell.indexOf('\n'); i !== -1; i = cell.indexOf('\n', i + 1)) n++;
  }
  return n;
}

/**
 * Opens a CSV file for streaming: header row first, delimiter detected from it unless given.
 * Handles a UTF-8 BOM, CRLF line ends and newlines inside quoted fields; every row carries the
 * line it starts on. Unterminated quotes and other syntax errors throw `import_malformed`.
 */
export async function openCsv(file: string, delimiter?: string): Promise<Source> {
  const chunks = lfOnly(readText(file))[Symbol.asyncIterator]();
  // read just enough to see the header line
  let head = '';
  let ended = false;
  while (!head.includes('\n')) {
    const next = await chunks.next();
    if (next.done) {
      ended = true;
      break;
    }
    head += next.value;
  }
  const headerLine = head.slice(0, head.includes('\n') ? head.indexOf('\n') : undefined);
  if (headerLine.trim() === '') throw malformed({ file, line: 1 }, 'no header row (the first line is empty)');
  const sep = delimiter ?? detectDelimiter(headerLine);

  async function* all(): AsyncGenerator<string> {
    try {
      yield head;
      if (ended) return;
      for (let next = await chunks.next(); !next.done; next = await chunks.next()) yield next.value;
    } finally {
      await chunks.return?.(undefined); // closes the file when the import stops early
    }
  }

  const plain = sep.length === 1 && sep !== '"' && sep !== '\n';
  let parsedFrom = 0; // lines split before csv-parse took over: its error lines count from there

  /**
   * The file's records, a chunk's worth at a time. Lines without a `"` are records split at the
   * delimiter, which is exactly what csv-parse makes of them (no trimming, no quotes to read, a
   * blank line one empty cell) at a fraction of its cost: the parser was a quarter of an
   * import's reading time. From the first line that holds a `"` (a quoted field may span
   * lines) the rest of the file goes through csv-parse.
   */
  async function* records(): AsyncGenerator<string[][]> {
    const text = all();
    let pending = '';
    try {
      if (plain) {
        for (;;) {
          const next = await text.next();
          if (next.done) {
            if (pending !== '') yield [pending.split(sep)]; // the last line, without a newline
            return;
          }
          pending += next.value;
          const quote = pending.indexOf('"');
          const end = quote === -1 ? pending.lastIndexOf('\n') : pending.lastIndexOf('\n', quote);
          if (end >= 0) {
            const lines = pending.slice(0, end).split('\n');
            parsedFrom += lines.length;
            pending = pending.slice(end + 1);
            yield lines.map((l) => l.split(sep));
          }
          if (quote !== -1) break;
        }
      }
      const parser = parse({
        delimiter: sep,
        bom: false, // removed by readText
        // Lines are counted here rather than with the parser's \`info\` option, which halves its speed:
        // every record spans 1 + (newlines inside its quoted cells) lines, and blank lines come
        // through as one empty cell so they can be counted and skipped.
        skip_empty_lines: false,
        relax_column_count: true, // a long row is rejected by the import, not fatal
        relax_quotes: true, // a stray quote inside an unquoted value is just a character
        record_delimiter: '\n',
      });
      async function* rest(): AsyncGenerator<string> {
        if (pending !== '') yield pending;
        for (let next = await text.next(); !next.done; next = await text.next()) yield next.value;
      }
      const feeding = pipeline(Readable.from(rest()), parser);
      feeding.catch(() => {}); // the same error surfaces through the iteration below
      try {
        for await (const record of parser as AsyncIterable<string[]>) yield [record];
      } finally {
        parser.destroy(); // stopped early (e.g. --strict): release the file
      }
    } finally {
      await text.return(undefined);
    }
  }

  const chunked = records();
  let buffered: string[][] = [];
  let taken = 0;
  const headerRecord = await nextRecord();
  if (!headerRecord) throw malformed({ file, line: 1 }, 'no header row');
  const header = headerRecord.map((h) => h.trim());
  // two columns that mean the same field (`email,Email`): which one wins would be a guess
  const seen = new Map<string, number>();
  header.forEach((h, i) => {
    const key = columnKey(h);
    if (key !== '' && seen.has(key)) throw malformed({ file, line: 1 }, `duplicate column "${h}" (columns ${seen.get(key)! + 1} and ${i + 1} name the same field)`);
    seen.set(key, i);
  });
  let line = 2 + newlines(headerRecord); // where the first data row starts

  /** The header record: the first of the first chunk. */
  async function nextRecord(): Promise<string[] | undefined> {
    const records = await nextRecords();
    if (!records) return undefined;
    taken = 1;
    return records[0];
  }

  /** The records not yet taken: the rest of the current chunk, else the next chunk. */
  async function nextRecords(): Promise<string[][] | undefined> {
    if (taken < buffered.length) {
      const rest = taken === 0 ? buffered : buffered.slice(taken);
      taken = buffered.length;
      return rest;
    }
    try {
      for (;;) {
        const r = await chunked.next();
        if (r.done) return undefined;
        if (r.value.length === 0) continue;
        buffered = r.value;
        taken = buffered.length;
        return buffered;
      }
    } catch (error) {
      const csv = error as CsvError & { lines?: number };
      if (csv.code === 'CSV_QUOTE_NOT_CLOSED') {
        const line = (await findUnclosedQuote(file, sep)) ?? (csv.lines === undefined ? undefined : parsedFrom + csv.lines);
        throw malformed({ file, line }, 'unterminated quoted field (a " that is never closed)');
      }
      if (typeof csv.code === 'string' && csv.code.startsWith('CSV_')) {
        throw malformed({ file, line: csv.lines === undefined ? undefined : parsedFrom + csv.lines }, csv.message.replace(/^[^:]*:\s*/, '').replace(/ at line \d+/, ''));
      }
      throw error;
    }
  }

  /** The records of each parsed chunk as rows with their lines, blank lines skipped. */
  async function* rowChunks(): AsyncGenerator<RawRow[]> {
    try {
      for (let records = await nextRecords(); records; records = await nextRecords()) {
        const rows: RawRow[] = [];
        for (const record of records) {
          const start = line;
          line += 1 + newlines(record);
          if (record.length === 1 && record[0]!.trim() === '') continue; // a blank line
          rows.push({ line: start, cells: record });
        }
        if (rows.length > 0) yield rows;
      }
    } finally {
      await chunked.return(undefined); // stopped early (e.g. --strict): release the file
    }
  }
  return { header, chunks: rowChunks() };
}
