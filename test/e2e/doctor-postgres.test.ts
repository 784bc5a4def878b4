/**
 * `mkt doctor` on a PostgreSQL store (MKT_DB=postgres://…): it names the store (kind and the
 * redacted URL), connects with a short deadline, reports the server version, the migrations
 * (applied / pending) and whether the role can write mkt's tables, and fails (78) on a wrong
 * password, a server down or a missing database; never printing the password, never
 * migrating. `-v` names the store a command uses.
 */
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli, runCliAsync, tempWorkspace } from '../support/cli.js';
import { dropTestRoles, pgTestDatabase } from '../support/pg.js';

const pgDb = await pgTestDatabase('e2e_doctor');
const ws = tempWorkspace();
const READER = `urltest_doctor_${process.pid}`;
afterAll(async () => {
  ws.cleanup();
  await pgDb?.drop();
  if (pgDb) await dropTestRoles(READER);
});

interface Check {
  id: string;
  status: 'ok' | 'fail' | 'skip';
  detail: string;
  fix?: string;
}
const byId = (stdout: string) => Object.fromEntries((JSON.parse(stdout).checks as Check[]).map((c) => [c.id, c]));

describe.skipIf(!pgDb)('mkt doctor on PostgreSQL', { timeout: 120_000 }, () => {
  const url = pgDb?.url ?? '';
  const password = url ? decodeURIComponent(new URL(url).password) : '';
  const variant = (change: (u: URL) => void) => {
    const u = new URL(url);
    change(u);
    return u.toString();
  };

  it('names the store, connects, reports version, migrations and write grants; never migrates', async () => {
    expect(runCli(['init'], { cwd: ws.dir }).code).toBe(0);
    const fresh = await runCliAsync(['doctor', '--json'], { cwd: ws.dir, env: { MKT_DB: url } });
    expect(fresh.code, fresh.stderr + fresh.stdout).toBe(0);
    const report = JSON.parse(fresh.stdout);
    expect(report).toMatchObject({ ok: true, store: 'postgres' });
    expect(report.database).toContain(':***@');
    const c = byId(fresh.stdout);
    expect(c['db.store']).toMatchObject({ status: 'ok' });
    expect(c['db.store']!.detail).toMatch(/^PostgreSQL at postgres:\/\/[^:]+:\*\*\*@/);
    expect(c['db.connect']!.detail).toMatch(/server version \d+/);
    expect(c['db.migrations']!.detail).toMatch(/^0 of \d+ applied, \d+ pending/);
    expect(c['db.integrity']).toBeUndefined();
    // doctor read only: the migrations are still pending
    const again = byId((await runCliAsync(['doctor', '--json'], { cwd: ws.dir, env: { MKT_DB: url } })).stdout);
    expect(again['db.migrations']!.detail).toMatch(/^0 of/);

    expect((await runCliAsync(['db', 'migrate'], { cwd: ws.dir, env: { MKT_DB: url } })).code).toBe(0);
    const migrated = await runCliAsync(['doctor'], { cwd: ws.dir, env: { MKT_DB: url } });
    expect(migrated.code, migrated.stdout).toBe(0);
    expect(migrated.stdout).toMatch(/migrations\s+(\d+) of \1 applied; schema up to date/);
    expect(migrated.stdout).toMatch(/privileges\s+\S+ can write all \d+ tables/);
    for (const r of [fresh, migrated]) expect(r.stdout + r.stderr).not.toContain(password);
  });

  it('fails (78) on a wrong password, a server down and a missing database, each with a fix, the password never shown', async () => {
    const targets = {
      'wrong password': variant((u) => (u.password = 'Doctor-Wrong-Canary-9')),
      'server down': variant((u) => (u.port = '1')),
      'missing database': variant((u) => (u.pathname = '/mkt_no_such_database_here')),
    };
    for (const [what, target] of Object.entries(targets)) {
      const r = await runCliAsync(['doctor', '--json'], { cwd: ws.dir, env: { MKT_DB: target } });
      expect(r.code, what).toBe(78);
      const c = byId(r.stdout);
      expect(c['db.connect'], what).toMatchObject({ status: 'fail' });
      expect(c['db.connect']!.fix, what).toBeTruthy();
      expect(r.stdout + r.stderr, what).not.toContain('Doctor-Wrong-Canary-9');
      expect(r.stdout + r.stderr, what).not.toContain(password);
    }
  });

  it('a role that may only read fails db.privileges, naming the tables', async () => {
    const name = new URL(url).pathname.slice(1);
    const owner = new pg.Client({ connectionString: url });
    await owner.connect();
    try {
      await owner.query(`CREATE ROLE ${READER} LOGIN PASSWORD 'urltest-Doctor-Reader-3'`);
      await owner.query(`GRANT CONNECT ON DATABASE ${name} TO ${READER}`);
      await owner.query(`GRANT USAGE ON SCHEMA public TO ${READER}`);
      await owner.query(`GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${READER}`);
    } finally {
      await owner.end();
    }
    const reader = variant((u) => {
      u.username = READER;
      u.password = 'urltest-Doctor-Reader-3';
    });
    const r = await runCliAsync(['doctor', '--json'], { cwd: ws.dir, env: { MKT_DB: reader } });
    expect(r.code).toBe(78);
    const c = byId(r.stdout);
    expect(c['db.connect']).toMatchObject({ status: 'ok' });
    expect(c['db.migrations']).toMatchObject({ status: 'ok' });
    expect(c['db.privileges']).toMatchObject({ status: 'fail' });
    expect(c['db.privileges']!.detail).toMatch(/cannot write \d+ of \d+ tables: .*customers/);
    expect(c['db.privileges']!.detail).toMatch(/cannot change the schema/);
    expect(r.stdout + r.stderr).not.toContain('urltest-Doctor-Reader-3');
  });

  it('-v names the store a command uses', async () => {
    const r = await runCliAsync(['-v', 'customers', 'count'], { cwd: ws.dir, env: { MKT_DB: url } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/store: PostgreSQL at postgres:\/\/[^:]+:\*\*\*@127\.0\.0\.1/);
    const lite = await runCliAsync(['-v', 'customers', 'count'], { cwd: ws.dir });
    expect(lite.stderr).toContain(`store: SQLite at ${ws.dir}/.mkt/mkt.db`);
  });
});
