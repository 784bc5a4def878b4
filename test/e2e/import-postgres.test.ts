/**
 * `customers import` and `suppress import` through the built CLI on PostgreSQL (COPY into a
 * staging table, then set-based statements), step by step beside the same steps on an SQLite
 * file: the same exit codes, the same --json results and errors, and the same customers and
 * suppressions afterwards. A failed import (exit 65) leaves both stores as they were.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { addressHash } from '../../src/util/address-hash.js';
import { runCliAsync, tempWorkspace } from '../support/cli.js';
import { pgTestDatabase } from '../support/pg.js';

const pgDb = await pgTestDatabase('e2e_import');
afterAll(async () => {
  await pgDb?.drop();
});

const FILES: Record<string, string> = {
  'first.csv':
    'id,E-Mail,Mobile,Country,LTV,newsletter,plan\n' +
    'c1,ann@example.com,0151 23456789,DE,10.50,yes,pro\n' +
    'c2,bob@example.com,07911 123456,GB,,no,free\n' +
    ',cy@example.com,,,,yes,\n' +
    'c4,bad@,,,,,\n' +
    ',gone@example.com,,,,yes,\n',
  // updates (by external id, by email), a duplicate, a warning, a new customer
  'second.csv':
    'id,email,first_name,ltv,plan,tier\n' +
    'c1,,Ann,11,pro,gold\n' +
    ',cy@example.com,Cy,,,\n' +
    ',CY@example.com,Cyrus,x,,\n' +
    'c5,dee@example.com,Dee,,,\n',
  'records.jsonl': '{"external_id":"c2","prefs":{"sms":true},"tags":["a","b"]}\n{"email":"eve@example.com","first_name":"Eve"}\n',
  'strict-dup.csv': 'email,ltv\nzed@example.com,1\nZED@example.com,2\nyan@example.com,1;5\n',
  'broken.csv': 'email,name\nzed@example.com,Zed\nyan@example.com,"Yan\n',
  'unsubscribes.csv': 'address,reason,note\nAnn@Example.com,unsubscribed,by mail\nann@example.com,complained,\nfoe@example.com,,\n',
  'stops.csv': 'phone,channel\n+4915123456789,sms\n+447911123456,whatsapp\n',
  'bad-suppressions.csv': 'address,channel\nhal@example.com,email\nnot-an-address,email\n',
};

const STEPS: Array<{ args: string[]; code: number }> = [
  { args: ['customers', 'import', 'first.csv'], code: 0 },
  { args: ['customers', 'import', 'first.csv'], code: 0 }, // unchanged
  { args: ['customers', 'import', 'second.csv', '--dry-run'], code: 0 },
  { args: ['customers', 'import', 'second.csv', '--rejects', 'rejects.csv'], code: 0 },
  { args: ['customers', 'import', 'records.jsonl'], code: 0 },
  { args: ['customers', 'import', 'strict-dup.csv', '--strict'], code: 65 },
  { args: ['customers', 'import', 'broken.csv'], code: 65 },
  { args: ['customers', 'list', '--limit', '100'], code: 0 },
  { args: ['suppress', 'import', 'unsubscribes.csv', '--channel', 'email'], code: 0 },
  { args: ['suppress', 'import', 'stops.csv'], code: 0 },
  { args: ['suppress', 'import', 'unsubscribes.csv', '--channel', 'email'], code: 0 },
  { args: ['suppress', 'import', 'bad-suppressions.csv'], code: 65 },
  { args: ['suppress', 'list'], code: 0 },
];

describe.skipIf(!pgDb)('imports on PostgreSQL: the same results as on SQLite', { timeout: 180_000 }, () => {
  const url = pgDb?.url ?? '';
  const password = url ? decodeURIComponent(new URL(url).password) : '';
  const ws = tempWorkspace();
  afterAll(() => ws.cleanup());
  const env = { MKT_NOW: '2026-03-02T10:00:00Z' };
  const sqlite = path.join(ws.dir, 'imports.db');
  const onSqlite = (args: string[]) => runCliAsync(['--db', sqlite, ...args, '--json'], { cwd: ws.dir, env });
  const onPg = (args: string[]) => runCliAsync([...args, '--json'], { cwd: ws.dir, env: { ...env, MKT_DB: url } });
  /**
   * Results with the run times masked (the clock runs on from MKT_NOW in each process; the
   * import contract test compares exact times); customers in id order without the ids (a
   * PostgreSQL sequence is not rolled back with a dry run, so its ids may have gaps).
   */
  const comparable = (args: string[], text: string): unknown => {
    const value = text ? (JSON.parse(text.replace(/"2026-03-02T10:0\d:[\d.]+Z"/g, '"(run time)"')) as unknown) : text;
    return args[0] === 'customers' && args[1] === 'list' ? (value as Array<Record<string, unknown>>).map(({ id: _id, ...c }) => c) : value;
  };

  it('customers import (updates, duplicates, rejects, a forgotten person, --dry-run, --strict, a broken file) and suppress import', async () => {
    for (const [name, content] of Object.entries(FILES)) writeFileSync(path.join(ws.dir, name), content);
    for (const run of [onSqlite, onPg]) expect((await run(['db', 'migrate'])).code).toBe(0);
    // someone erased on request (what `customers forget` keeps): a row with their address is rejected
    const hash = addressHash('email', 'gone@example.com');
    const db = new Database(sqlite);
    db.prepare('INSERT INTO forgotten_addresses (hash, created_at) VALUES (?, 0)').run(hash);
    db.close();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('INSERT INTO forgotten_addresses (hash, created_at) VALUES ($1, 0)', [hash]);
    await client.end();

    for (const { args, code } of STEPS) {
      const [a, b] = [await onSqlite(args), await onPg(args)];
      const step = args.join(' ');
      expect(b.stderr, step).not.toMatch(/does not run on a PostgreSQL store/);
      expect({ step, code: a.code }).toEqual({ step, code });
      expect({ step, code: b.code }).toEqual({ step, code });
      expect(comparable(args, b.stdout), step).toEqual(comparable(args, a.stdout));
      if (code !== 0) expect(JSON.parse(b.stderr), step).toEqual(JSON.parse(a.stderr));
      expect(b.stdout + b.stderr).not.toContain(password);
    }
    const list = JSON.parse((await onPg(['customers', 'list', '--limit', '100'])).stdout) as Array<Record<string, unknown>>;
    expect(list.map((c) => c.email)).toEqual(['ann@example.com', 'bob@example.com', 'cy@example.com', null, 'dee@example.com', 'eve@example.com']); // c4: its bad email dropped
    expect(list[2]).toMatchObject({ first_name: 'Cyrus' });
    const suppressed = JSON.parse((await onPg(['suppress', 'list'])).stdout) as Array<{ address: string; reason: string }>;
    expect(suppressed.find((s) => s.address === 'ann@example.com')?.reason).toBe('unsubscribed');
    expect(suppressed.map((s) => s.address)).not.toContain('hal@example.com');
  });
});
