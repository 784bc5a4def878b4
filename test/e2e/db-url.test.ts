/**
 * How mkt takes a PostgreSQL connection string from --db / MKT_DB, as a new user types it:
 * a mistyped scheme is refused (64) before anything is created, and no output shows the
 * password.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync } from '../support/cli.js';
import { pgTestDatabase } from '../support/pg.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-db-url-'));
/** HOME for the child: no ~/.pgpass unless a test writes one */
const home = mkdtempSync(path.join(os.tmpdir(), 'mkt-db-url-home-'));
const pgDb = await pgTestDatabase('e2e_url');
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(home, { recursive: true, force: true });
  await pgDb?.drop();
});

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

describe.skipIf(!pgDb)('a connection string without a password (README: MKT_DB=postgres://mkt_owner@…/mkt)', () => {
  const url = new URL(pgDb?.url ?? 'postgres://x@h/db');
  const password = decodeURIComponent(url.password);
  const bare = new URL(url.toString());
  bare.password = '';

  it('is a config error (78) saying where a password can come from, when there is none anywhere', async () => {
    const r = await runCliAsync(['--db', bare.toString(), 'db', 'migrate', '--json'], { cwd: dir, env: { HOME: home } });
    expect(r.code).toBe(78);
    const error = JSON.parse(r.stderr).error;
    expect(error.code).toBe('db_no_password');
    expect(error.hint).toMatch(/PGPASSWORD/);
    expect(error.hint).toMatch(/\.pgpass/);
    expect(error.hint).toMatch(/percent-encoded/);
  });

  it('takes the password from PGPASSWORD, or from ~/.pgpass', async () => {
    const viaEnv = await runCliAsync(['--db', bare.toString(), 'db', 'migrate', '--json'], { cwd: dir, env: { HOME: home, PGPASSWORD: password } });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    const pgpass = path.join(home, '.pgpass');
    writeFileSync(pgpass, `${url.hostname}:${url.port || 5432}:*:${decodeURIComponent(url.username)}:${password}\n`, { mode: 0o600 });
    try {
      const viaFile = await runCliAsync(['--db', bare.toString(), 'customers', 'count', '--json'], { cwd: dir, env: { HOME: home } });
      expect(viaFile.code, viaFile.stderr).toBe(0);
      expect(JSON.parse(viaFile.stdout)).toEqual({ count: 0 });
    } finally {
      rmSync(pgpass, { force: true });
    }
  });
});
