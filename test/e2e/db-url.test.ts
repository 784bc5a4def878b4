/**
 * How mkt takes a PostgreSQL connection string from --db / MKT_DB, as a new user types it:
 * a mistyped scheme is refused (64) before anything is created, and no output shows the
 * password.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../support/cli.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-db-url-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('a --db / MKT_DB value with a scheme other than postgres://', () => {
  const typos = ['postgress://u:secretpw1@h/db', 'pg://u:secretpw1@h/db', 'mysql://u:secretpw1@h/db'];

  it('is a usage error (64) naming the accepted schemes, for reads and writes, and creates nothing', async () => {
    for (const value of typos) {
      for (const args of [['--db', value, 'customers', 'count'], ['--db', value, 'suppress', 'add', 'a@example.com', '--channel', 'email'], ['customers', 'count', '--json']]) {
        const env = args.includes('--db') ? {} : { MKT_DB: value };
        const r = await runCliAsync(args, { cwd: dir, env });
        expect(r.code, `${args.join(' ')} ${value}`).toBe(64);
        expect(r.stderr).toContain('postgres://');
        expect(r.stderr).toContain('postgresql://');
        expect(r.stdout + r.stderr).not.toContain('secretpw1');
      }
    }
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a leading space before postgres:// is trimmed: the URL is used, not a file named like it', async () => {
    const r = await runCliAsync(['--db', ' postgres://u:secretpw1@127.0.0.1:1/db', 'customers', 'count'], { cwd: dir });
    expect(r.code).toBe(69);
    expect(r.stdout + r.stderr).not.toContain('secretpw1');
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('a password with an unencoded @ or /', () => {
  it('is refused before connecting (64), saying to percent-encode, without any part of the password', async () => {
    const r = await runCliAsync(['--db', 'postgres://owner:S3cret:p@ss/w%rd@127.0.0.1:5432/db', 'customers', 'count'], { cwd: dir });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('%40');
    expect(r.stdout + r.stderr).not.toMatch(/S3cret|p@ss|ss\/w|w%rd|ENOTFOUND/);
  });
});
