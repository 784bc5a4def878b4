/**
 * Connection trouble on PostgreSQL, classified by its cause (src/db/connection-errors.ts):
 * a database that stops accepting connections mid-send (55000 at connect) is an outage the
 * worker pauses and retries through, like a restart; a role's CONNECTION LIMIT reached
 * (53300) says so and that the pool follows concurrency; a role without a grant (42501) is a
 * configuration error (78) pointing at the owner role, in `db copy` as anywhere.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgWorkspace } from '../chaos/pg-workspace.js';
import { SES_KEY } from '../chaos/workspace.js';
import { startFakeSes, type FakeSes } from '../fakes/ses.js';
import { runCliAsync } from '../support/cli.js';
import { PG_BASE_URL, pgTestDatabase } from '../support/pg.js';

const pgSend = await pgTestDatabase('e2e_trouble_send');
const pgRoles = pgSend && (await pgTestDatabase('e2e_trouble_roles'));
const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-db-trouble-'));
const LIMITED = `urltest_limit_${process.pid}`;
const READER = `urltest_reader_${process.pid}`;
const ROLE_PASSWORD = 'urltest-Only-Password-7';
let ses: FakeSes;
let admin: pg.Client | undefined;
beforeAll(async () => {
  ses = await startFakeSes({ accessKeyId: SES_KEY });
  if (!pgSend) return;
  admin = new pg.Client({ connectionString: PG_BASE_URL });
  await admin.connect();
});
afterAll(async () => {
  await ses?.close();
  await pgSend?.drop();
  await pgRoles?.drop();
  if (admin) {
    for (const role of [LIMITED, READER]) await admin.query(`DROP ROLE IF EXISTS ${role}`);
    await admin.end();
  }
  rmSync(dir, { recursive: true, force: true });
});

const dbName = (url: string) => new URL(url).pathname.slice(1);
const asRole = (url: string, role: string) => {
  const u = new URL(url);
  u.username = role;
  u.password = ROLE_PASSWORD;
  return u.toString();
};

async function until(what: string, check: () => Promise<boolean>, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!pgSend)('connection trouble on PostgreSQL', { timeout: 120_000 }, () => {
  it('ALLOW_CONNECTIONS false and the backends terminated mid-send: the worker pauses, retries, resumes; nobody twice', async () => {
    ses.clear();
    const ws = await pgWorkspace({ url: pgSend!.url, n: 30, sesUrl: ses.url, concurrency: 2, rate: '10/s' });
    const name = dbName(pgSend!.url);
    try {
      const worker = ws.worker();
      await until('some messages out', async () => ses.receipts.length >= 5);
      await admin!.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      try {
        await admin!.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
        // long enough for the worker's reconnects to meet the refusal (55000) more than once
        await new Promise((r) => setTimeout(r, 3000));
      } finally {
        await admin!.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      }
      const r = await worker.done;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain('pausing and retrying');
      expect(r.stderr).not.toContain('bug in mkt');
      expect(JSON.parse(r.stdout)).toMatchObject({ state: 'completed' });
      const to = ses.receipts.flatMap((x) => x.to);
      expect(new Set(to).size).toBe(30);
      expect(to.length).toBe(30);
    } finally {
      await ws.close();
    }
  });

  it('a database that stays away past the retry window: exit 69 with the summary on stdout, nobody sent twice', { timeout: 240_000 }, async () => {
    ses.clear();
    const db = await pgTestDatabase('e2e_trouble_away');
    const name = dbName(db!.url);
    const ws = await pgWorkspace({ url: db!.url, n: 40, sesUrl: ses.url, concurrency: 2, rate: '5/s' });
    try {
      const worker = ws.worker();
      await until('some messages out', async () => ses.receipts.length >= 5);
      await admin!.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS false`);
      let r;
      try {
        await admin!.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [name]);
        r = await worker.done;
      } finally {
        await admin!.query(`ALTER DATABASE ${name} ALLOW_CONNECTIONS true`);
      }
      expect(r.code, r.stderr).toBe(69);
      const summary = JSON.parse(r.stdout);
      expect(summary.sent).toBe(ses.receipts.length);
      expect(JSON.parse(r.stderr.split('\n').filter(Boolean).pop()!).error.code).toBe('db_unreachable');
      expect(new Set(ses.receipts.flatMap((x) => x.to)).size).toBe(ses.receipts.length);
    } finally {
      await ws.close();
      await db!.drop();
    }
  });

  it("a role's CONNECTION LIMIT reached is reported as too many connections, with the pool rule", async () => {
    await admin!.query(`CREATE ROLE ${LIMITED} LOGIN PASSWORD '${ROLE_PASSWORD}' CONNECTION LIMIT 1`);
    await admin!.query(`GRANT CONNECT ON DATABASE ${dbName(pgRoles!.url)} TO ${LIMITED}`);
    const url = asRole(pgRoles!.url, LIMITED);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      const r = await runCliAsync(['--db', url, 'customers', 'count', '--json'], { cwd: dir });
      expect(r.code).toBe(69);
      const error = JSON.parse(r.stderr).error;
      expect(error.code).toBe('db_unreachable');
      expect(error.hint).toMatch(/too many connections/);
      expect(error.hint).toMatch(/concurrency \+ 4/);
      expect(error.hint).not.toMatch(/held the database too long/);
      expect(r.stderr).not.toContain(ROLE_PASSWORD);
    } finally {
      await holder.end();
    }
  });

  it('db copy as a role without write grants is a configuration error (78) pointing at the owner role', async () => {
    const owner = pgRoles!.url;
    expect((await runCliAsync(['--db', owner, 'db', 'migrate'], { cwd: dir })).code).toBe(0);
    await admin!.query(`CREATE ROLE ${READER} LOGIN PASSWORD '${ROLE_PASSWORD}'`);
    const db = new pg.Client({ connectionString: owner });
    await db.connect();
    try {
      await db.query(`GRANT CONNECT ON DATABASE ${dbName(owner)} TO ${READER}`);
      await db.query(`GRANT USAGE ON SCHEMA public TO ${READER}`);
      await db.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER}`);
      // drop the grants before the role goes (afterAll)
    } finally {
      await db.end();
    }
    const file = path.join(dir, 'src.db');
    expect((await runCliAsync(['--db', file, 'customers', 'seed', '--count', '5'], { cwd: dir })).code).toBe(0);
    const r = await runCliAsync(['db', 'copy', file, asRole(owner, READER), '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(78);
    const error = JSON.parse(r.stderr).error;
    expect(error.code).toBe('db_permission_denied');
    expect(error.message).toMatch(/permission denied for table/);
    expect(error.hint).toMatch(/owner role/);
    expect(r.stderr).not.toContain(ROLE_PASSWORD);
  });
});
