import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runCli, tempWorkspace } from '../support/cli.js';

let ws: ReturnType<typeof tempWorkspace>;
beforeEach(() => {
  ws = tempWorkspace();
});
afterEach(() => ws.cleanup());

const NOW = { MKT_NOW: '2026-01-15T10:00:00Z' };
const mkt = (...args: string[]) => runCli(args, { cwd: ws.dir, env: NOW });
function file(name: string, content: string): string {
  writeFileSync(path.join(ws.dir, name), content);
  return name;
}

/** Row count and a hash over every customer row: "the database is unchanged" means both are equal. */
function snapshot(db = ws.db): { count: number; sha: string } {
  const sqlite = new Database(db, { readonly: true });
  try {
    const rows = sqlite.prepare('SELECT * FROM customers ORDER BY id').all();
    return { count: rows.length, sha: createHash('sha256').update(JSON.stringify(rows)).digest('hex') };
  } finally {
    sqlite.close();
  }
}

const GOOD = 'id,E-Mail,Mobile,Country,LTV,newsletter,plan\nc1,ann@example.com,0151 23456789,DE,10.50,yes,pro\nc2,bob@example.com,07911 123456,GB,,no,free\n';

describe('mkt customers import (built CLI)', () => {
  it('imports, then re-importing the same file leaves everything unchanged', () => {
    file('good.csv', GOOD);
    const first = mkt('customers', 'import', 'good.csv', '--json');
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ read: 2, inserted: 2, updated: 0, unchanged: 0, rejected: 0, warnings: 0, rejects: [], warning_samples: [] });
    const before = snapshot();
    const again = runCli(['customers', 'import', 'good.csv', '--json'], { cwd: ws.dir, env: { MKT_NOW: '2026-02-01T00:00:00Z' } });
    expect(JSON.parse(again.stdout)).toMatchObject({ read: 2, inserted: 0, updated: 0, unchanged: 2 });
    expect(snapshot()).toEqual(before);
    const shown = JSON.parse(mkt('customers', 'show', '+4915123456789', '--json').stdout);
    expect(shown).toMatchObject({ external_id: 'c1', email: 'ann@example.com', lifetime_value: 10.5, email_opt_in: true, attributes: { plan: 'pro' } });
  });

  it('human output: a summary on stdout, warnings and rejects on stderr, rejects file written', () => {
    file('mixed.csv', 'email,phone,ltv\nann@example.com,,1,5\nbad@,,\ncy@example.com,,x\n');
    const r = mkt('customers', 'import', 'mixed.csv', '--rejects', 'rejects.csv');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('imported mixed.csv: read 3, inserted 1, updated 0, unchanged 0, rejected 2, warnings 1\n');
    expect(r.stderr).toContain('warning: mixed.csv:4: invalid lifetime_value "x"');
    expect(r.stderr).toContain('rejected: mixed.csv:2: row has 4 fields, the header has 3');
    expect(r.stderr).toContain('rejected: mixed.csv:3: no usable identity: invalid email "bad@"');
    const rejects = readFileSync(path.join(ws.dir, 'rejects.csv'), 'utf8').trim().split('\n');
    expect(rejects[0]).toBe('line,reason,email,phone,ltv');
    expect(rejects.slice(1).map((l) => l.split(',')[0])).toEqual(['2', '3']);
  });

  it('--dry-run reports and writes nothing', () => {
    file('good.csv', GOOD);
    file('empty.csv', 'external_id\n');
    mkt('customers', 'import', 'empty.csv'); // creates the (empty) store
    const before = snapshot();
    const r = mkt('customers', 'import', 'good.csv', '--dry-run', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 2, inserted: 2 });
    expect(snapshot()).toEqual(before);
  });

  describe('bad input fails with 65, names file and line, and leaves the database as it was', () => {
    const cases: Array<[string, string, string, string[], string]> = [
      ['unterminated quote', 'bad.csv', 'email,name\nzed@example.com,Zed\nyan@example.com,"Yan\nxi@example.com,Xi\n', [], 'bad.csv:3: unterminated quoted field'],
      ['invalid JSON', 'bad.json', '[\n  {"email": "zed@example.com"},\n  {"email": "yan@example.com",}\n]\n', [], 'bad.json:3: invalid JSON'],
      ['a bad line in JSON Lines', 'bad.jsonl', '{"email":"zed@example.com"}\n{"email":"yan@example.com"}\n{"email": nope}\n', [], 'bad.jsonl:3: invalid JSON'],
      ['--strict with a warning', 'warn.csv', 'email,ltv\nzed@example.com,1\nyan@example.com,1;5\n', ['--strict'], 'warn.csv:3: invalid lifetime_value "1;5"'],
      ['--strict with a row without identity', 'noid.csv', 'email,first_name\nzed@example.com,Zed\n,Nobody\n', ['--strict'], 'noid.csv:3: rejected: no usable identity'],
      ['--strict with a duplicate', 'dup.csv', 'email\nzed@example.com\nZED@example.com\n', ['--strict'], 'dup.csv:3: same customer as line 2'],
    ];
    it.each(cases)('%s', (_name, name, content, flags, message) => {
      file('good.csv', GOOD);
      expect(mkt('customers', 'import', 'good.csv').code).toBe(0);
      const before = snapshot();
      file(name, content);
      const r = mkt('customers', 'import', name, ...flags);
      expect(r.code).toBe(65);
      expect(r.stdout).toBe('');
      expect(r.stderr).toContain(`mkt: ${message}`);
      expect(snapshot()).toEqual(before);
      const j = mkt('customers', 'import', name, ...flags, '--json');
      expect(j.code).toBe(65);
      expect(JSON.parse(j.stderr)).toMatchObject({ error: { code: flags.includes('--strict') ? 'import_strict' : 'import_malformed', message: expect.stringContaining(message), hint: expect.any(String) } });
      expect(snapshot()).toEqual(before);
    });

    it('an unreadable file', () => {
      file('empty.csv', 'external_id\n');
    mkt('customers', 'import', 'empty.csv'); // creates the (empty) store
      const before = snapshot();
      const r = mkt('customers', 'import', 'missing.csv');
      expect(r.code).toBe(65);
      expect(r.stderr).toContain('missing.csv: cannot read the file (ENOENT)');
      expect(snapshot()).toEqual(before);
    });

    it('without --strict a row without identity is rejected, the rest imports', () => {
      file('noid.csv', 'email,first_name\nzed@example.com,Zed\n,Nobody\n');
      const r = mkt('customers', 'import', 'noid.csv', '--json');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ read: 2, inserted: 1, rejected: 1, rejects: [{ line: 3, reason: 'no usable identity (external_id, email or phone)' }] });
    });
  });

  it('two reader threads (PostgreSQL’s default) and one give the same import, rejects file and error, byte for byte', () => {
    // 1,600 rows: four batches, so both threads read; a warning, a reject and a broken line in the third
    const rows = ['id,email,country,score'];
    for (let i = 0; i < 1600; i++) rows.push(i === 1203 ? `c${i},x,y,z,extra` : `c${i},${i % 97 === 0 ? 'bad' : `p${i}@example.com`},${i % 89 === 0 ? 'XX' : 'DE'},${i}`);
    file('big.csv', rows.join('\n') + '\n');
    file('broken.csv', [...rows.slice(0, 1300), '"never closed', ...rows.slice(1300)].join('\n') + '\n');
    const run = (readers: string, name: string) => runCli(['customers', 'import', name, '--json', '--rejects', `rejects-${readers}.csv`], { cwd: ws.dir, env: { ...NOW, MKT_IMPORT_READERS: readers } });
    const two = run('2', 'big.csv');
    expect(two.code).toBe(0);
    expect(JSON.parse(two.stdout)).toMatchObject({ read: 1600, inserted: 1599, rejected: 1, warnings: 17 + 18 });
    // MKT_NOW starts the clock, which then runs: the rows are compared without their times
    const untimed = () => {
      const sqlite = new Database(ws.db, { readonly: true });
      try {
        return sqlite.prepare('SELECT * FROM customers ORDER BY id').all().map((r) => ({ ...(r as object), created_at: 0, updated_at: 0 }));
      } finally {
        sqlite.close();
      }
    };
    const rowsTwo = untimed();
    const rejectsTwo = readFileSync(path.join(ws.dir, 'rejects-2.csv'), 'utf8');
    expect(rowsTwo).toHaveLength(1599);
    ws.cleanup();
    ws = tempWorkspace();
    file('big.csv', rows.join('\n') + '\n');
    file('broken.csv', [...rows.slice(0, 1300), '"never closed', ...rows.slice(1300)].join('\n') + '\n');
    const one = run('1', 'big.csv');
    expect(one.stdout).toBe(two.stdout);
    expect(untimed()).toEqual(rowsTwo);
    expect(readFileSync(path.join(ws.dir, 'rejects-1.csv'), 'utf8')).toBe(rejectsTwo);
    expect(rejectsTwo).toContain('1205,"row has 5 fields, the header has 4",c1203,x,y,z,extra');
    const broken = ['1', '2'].map((readers) => run(readers, 'broken.csv'));
    expect(broken[0]!.code).toBe(65);
    expect(broken[1]).toMatchObject({ code: broken[0]!.code, stdout: broken[0]!.stdout, stderr: broken[0]!.stderr });
    expect(broken[0]!.stderr).toContain('broken.csv:1301');
    expect(untimed()).toEqual(rowsTwo);
    // a thread count that is not one is a configuration error, before anything is read
    const bad = run('0', 'big.csv');
    expect(bad.code).toBe(78);
    expect(JSON.parse(bad.stderr)).toMatchObject({ error: { code: 'bad_import_readers' } });
    expect(untimed()).toEqual(rowsTwo);
  });

  it('usage errors: unknown format, bad --map, bad --default-country (64)', () => {
    file('x.dat', 'email\n');
    expect(mkt('customers', 'import', 'x.dat').code).toBe(64);
    file('good.csv', GOOD);
    expect(mkt('customers', 'import', 'good.csv', '--map', 'E-Mail=shoe_size').code).toBe(64);
    expect(mkt('customers', 'import', 'good.csv', '--default-country', 'Germany').code).toBe(64);
    const typo = mkt('customers', 'import', 'good.csv', '--map', 'Handy=phone');
    expect(typo.code).toBe(64);
    expect(typo.stderr).toContain('--map "Handy": good.csv has no such column');
    expect(mkt('customers', 'import', 'good.csv', '--format', 'xml').code).toBe(64);
    expect(existsSync(ws.db) ? snapshot().count : 0).toBe(0);
  });
});

describe('mkt customers seed (built CLI)', () => {
  it('same seed, count and MKT_NOW give identical rows in another workspace', () => {
    const r = mkt('customers', 'seed', '--count', '400', '--seed', '7', '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ seed: 7, count: 400, inserted: 400, skipped: 0, deleted: 0 });
    const other = tempWorkspace();
    try {
      expect(runCli(['customers', 'seed', '--count', '400', '--seed', '7'], { cwd: other.dir, env: NOW }).stdout).toBe('seeded 400 demo customers (seed 7)\n');
      expect(snapshot(other.db)).toEqual(snapshot());
    } finally {
      other.cleanup();
    }
    expect(JSON.parse(mkt('customers', 'count', '--json').stdout)).toEqual({ count: 400 });
    // the default is 1000 customers of seed 1; seeding again adds nothing
    expect(mkt('customers', 'seed').stdout).toBe('seeded 1000 demo customers (seed 1)\n');
    expect(mkt('customers', 'seed').stdout).toBe('seeded 0 demo customers (seed 1; 1000 already present)\n');
    expect(mkt('customers', 'seed', '--count', '5', '--replace', '--yes').stdout).toBe('removed 1400 customers, then seeded 5 demo customers (seed 1)\n');
  });
});
