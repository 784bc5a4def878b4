import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parse } from 'csv-parse/sync';
import { afterAll, describe, expect, it } from 'vitest';
import { openCsv } from '../../../src/customers/import/csv.js';
import { rowsOf } from '../../../src/customers/import/source.js';

// openCsv splits quote-free lines itself and hands the rest of the file to csv-parse from the
// first `"` on: whatever the text, the rows and their lines must be those csv-parse gives alone.
const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-csv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function viaOpenCsv(file: string, delimiter: string) {
  try {
    const source = await openCsv(file, delimiter);
    const rows: Array<[number, string[]]> = [];
    for await (const r of rowsOf(source)) rows.push([r.line, r.cells!]);
    return { header: source.header, rows };
  } catch (error) {
    return { error: (error as Error).message.replace(/^[^:]*:\d*:?\s*/, '') };
  }
}

function viaCsvParse(text: string, delimiter: string) {
  let records: string[][];
  try {
    const parsed: unknown = parse(text.replace(/^\uFEFF/, '').replace(/\r\n/g, '\n'), { delimiter, skip_empty_lines: false, relax_column_count: true, relax_quotes: true, record_delimiter: '\n' });
    records = parsed as string[][];
  } catch {
    return { error: true };
  }
  if (records.length === 0) return { error: true };
  const nl = (cells: string[]) => cells.reduce((n, c) => n + c.split('\n').length - 1, 0);
  let line = 2 + nl(records[0]!);
  const rows: Array<[number, string[]]> = [];
  for (const r of records.slice(1)) {
    const start = line;
    line += 1 + nl(r);
    if (!(r.length === 1 && r[0]!.trim() === '')) rows.push([start, r]);
  }
  return { header: records[0]!.map((h) => h.trim()), rows };
}

describe('CSV records', () => {
  it('are those csv-parse reads, with the same lines, quoted or not, across 64 KiB chunks', async () => {
    const cell = fc.array(fc.constantFrom('a', 'b', ' ', ',', ';', '"', '\n', '\r\n', 'é'), { maxLength: 6 }).map((cs) => cs.join(''));
    const line = fc.array(cell, { minLength: 1, maxLength: 4 }).map((cells) => cells.join(','));
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { minLength: 1, maxLength: 12 }), fc.nat(70_000), fc.constantFrom(',', ';'), fc.boolean(), async (lines, pad, delimiter, big) => {
        // a long quote-free prefix puts the interesting lines after a chunk boundary
        const prefix = big ? Array.from({ length: Math.ceil(pad / 10) + 1 }, (_, i) => `x${i},y`).join('\n') + '\n' : '';
        const text = 'h1,h2\n' + prefix + lines.join('\n');
        const file = path.join(dir, `f${n++}.csv`);
        writeFileSync(file, text);
        const expected = viaCsvParse(text, delimiter);
        const actual = await viaOpenCsv(file, delimiter);
        if ('error' in expected) expect(actual).toHaveProperty('error');
        else expect(actual).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});
