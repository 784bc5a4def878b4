/**
 * README says what src/output/exit-codes.ts decides: its exit-code table has exactly one row per
 * code of EXIT, every other "Exit codes" list names each code a command can end with, and the
 * global options table is one table (a paragraph inserted into it had cut off its last rows).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/output/exit-codes.js';

const README = readFileSync(path.join(import.meta.dirname, '../../../README.md'), 'utf8');
const codes = [...new Set(Object.values(EXIT))].sort((a, b) => a - b);

/** The table rows right after `header` (until the first line that is not a table row). */
function tableAfter(header: string): string[] {
  const lines = README.slice(README.indexOf(header)).split('\n');
  const rows: string[] = [];
  for (const line of lines.slice(2)) {
    if (!line.startsWith('|')) break;
    rows.push(line);
  }
  return rows;
}

describe('README matches the exit-code table', () => {
  it('the exit-code table has one row per code of EXIT, in order', () => {
    const rows = tableAfter('| code | meaning |');
    expect(rows.map((r) => Number(/^\| (\d+) \|/.exec(r)?.[1]))).toEqual(codes);
  });

  it('the Compliance "Exit codes" list names every code but the internal 1, and links the one table', () => {
    const section = README.slice(README.indexOf('<!-- section:compliance -->'), README.indexOf('<!-- /section:compliance -->'));
    const list = section.slice(section.lastIndexOf('### Exit codes'));
    expect(list).toContain('(#global-options-output-and-exit-codes)');
    const named = [...list.matchAll(/(?:^|· |: )(\d{1,2})\s/gm)].map((m) => Number(m[1]));
    expect([...new Set(named)].sort((a, b) => a - b)).toEqual(codes.filter((c) => c !== EXIT.internal));
  });

  it('the global options table is one table: every global flag is a row of it', () => {
    const rows = tableAfter('| option | meaning |').join('\n');
    for (const flag of ['-w, --workspace', '--db', '--json', '--no-color', '-v, --verbose']) expect(rows).toContain(`| \`${flag}`);
  });
});
