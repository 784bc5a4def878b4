/**
 * Segment limits through the built CLI: what SQLite cannot run is exit 65 with file:line from
 * `segment validate` and `segment count` (never exit 1), and a 100,000-value `in:` list counts.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, tempWorkspace } from '../support/cli.js';

describe('segment limits (built CLI)', () => {
  const ws = tempWorkspace(true);
  const cli = (...args: string[]) => runCli(['--workspace', ws.dir, ...args], { env: { MKT_NOW: '2026-01-15T12:00:00Z' } });
  const write = (name: string, text: string) => writeFileSync(path.join(ws.dir, 'segments', `${name}.yaml`), text);
  beforeAll(() => {
    expect(cli('customers', 'seed', '--count', '100000').code).toBe(0);
  }, 120_000);
  afterAll(() => ws.cleanup());

  it('in: with 100,000 external ids counts exactly the customers holding them', () => {
    // 90,000 that exist (every id from 5,000 on) and 10,000 that do not
    const ids = [...Array.from({ length: 90_000 }, (_, i) => `seed-1-${i + 5000 + 1}`), ...Array.from({ length: 10_000 }, (_, i) => `nobody-${i}`)];
    write('many-ids', `where:\n  external_id: { in: [${ids.join(', ')}] }\n`);
    const r = cli('segment', 'count', 'many-ids', '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const inRange = JSON.parse(r.stdout).count as number;
    write('not-many-ids', `where:\n  external_id: { not_in: [${ids.join(', ')}] }\n`);
    const rest = JSON.parse(cli('segment', 'count', 'not-many-ids', '--json').stdout).count as number;
    expect(inRange + rest).toBe(100_000);
    expect(inRange).toBe(90_000);
  }, 60_000);

  it('an any: of 999 conditions counts', () => {
    write('wide-any', `where:\n  any:\n${Array.from({ length: 999 }, (_, i) => `    - order_count: ${i}`).join('\n')}\n`);
    const r = cli('segment', 'count', 'wide-any', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).count).toBeGreaterThan(0);
  });

  it('too deep, too many values, too long a pattern: exit 65 with file:line, never 1', () => {
    let deep = 'where:\n';
    for (let i = 0; i < 101; i++) deep += `${'  '.repeat(i + 1)}not:\n`;
    write('too-deep', deep + `${'  '.repeat(102)}lifetime_value: 1\n`);
    write('too-many', `where:\n  any:\n${Array.from({ length: 33_000 }, (_, i) => `    - lifetime_value: ${i}`).join('\n')}\n`);
    write('too-long', `where:\n  email: { contains: ${'a'.repeat(50_001)} }\n`);
    const expected: Record<string, RegExp> = {
      'too-deep': /segments\/too-deep\.yaml:102:203: nested more than 100 levels deep/,
      'too-many': /segments\/too-many\.yaml:1:1: this filter binds 33000 values; SQLite binds at most 32766/,
      'too-long': /segments\/too-long\.yaml:2:22: email contains: the value is too long/,
    };
    for (const [name, message] of Object.entries(expected)) {
      const v = cli('segment', 'validate', name);
      expect(v.code, name).toBe(65);
      expect(v.stdout + v.stderr).toMatch(message);
      const c = cli('segment', 'count', name);
      expect(c.code, name).toBe(65);
      expect(c.stderr).toMatch(message);
    }
  }, 60_000);
});
