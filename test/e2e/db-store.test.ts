/**
 * Store selection from the command line: `--db` / MKT_DB names an SQLite file or a
 * postgres:// URL; `db migrate` is idempotent on both; the URL's password never reaches the
 * output, not even in a driver's error; commands the PostgreSQL preview does not cover say so
 * (exit 78) instead of touching a file named like the URL.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT, runCliAsync, tempWorkspace } from '../support/cli.js';
import { SENT_WORKSPACE_STEPS, tableCounts } from '../support/copy-workspace.js';
import { dropTestRoles, pgTestDatabase } from '../support/pg.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-db-store-'));
const pgDb = await pgTestDatabase('e2e_store');
const pgCampaigns = pgDb && (await pgTestDatabase('e2e_campaigns'));
const pgCopy = pgDb && (await pgTestDatabase('e2e_copy'));
const pgRole = pgDb && (await pgTestDatabase('e2e_role'));
const APP_ROLE = `mkt_app_t${process.pid}`;
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await pgDb?.drop();
  await pgCampaigns?.drop();
  await pgCopy?.drop();
  if (pgRole) {
    await pgRole.drop();
    await dropTestRoles(APP_ROLE);
  }
});

describe('db migrate on SQLite', () => {
  it('applies the migrations once, then finds nothing to do', async () => {
    const db = path.join(dir, 'mkt.db');
    const first = await runCliAsync(['--db', db, 'db', 'migrate', '--json'], { cwd: dir });
    expect(first.code).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(r1).toMatchObject({ store: 'sqlite', database: db });
    expect(r1.applied).toBe(r1.total);
    expect(r1.total).toBeGreaterThan(0);
    const again = JSON.parse((await runCliAsync(['--db', db, 'db', 'migrate', '--json'], { cwd: dir })).stdout);
    expect(again).toEqual({ ...r1, applied: 0 });
  });
});

describe.skipIf(!pgDb)('the PostgreSQL store from the command line', () => {
  const url = pgDb?.url ?? '';
  const password = url ? decodeURIComponent(new URL(url).password) : '';

  it('db migrate is idempotent, customers count runs, and the password is never printed', async () => {
    const first = await runCliAsync(['db', 'migrate', '--json'], { cwd: dir, env: { MKT_DB: url } });
    expect(first.code).toBe(0);
    const r1 = JSON.parse(first.stdout);
    expect(r1.store).toBe('postgres');
    expect(r1.applied).toBe(r1.total);
    const again = await runCliAsync(['--db', url, 'db', 'migrate'], { cwd: dir });
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/0 migration\(s\) applied now/);
    const count = await runCliAsync(['customers', 'count', '--json'], { cwd: dir, env: { MKT_DB: url } });
    expect(count.code).toBe(0);
    expect(JSON.parse(count.stdout)).toEqual({ count: 0 });
    for (const r of [first, again, count]) expect(r.stdout + r.stderr).not.toContain(password);
    expect(again.stdout).toContain(':***@');
  });

  it('a wrong password or a dead server exits 69 with the password cut out of the driver error', async () => {
    const secret = 'Wrong-Pass-Canary-42';
    const wrong = new URL(url);
    wrong.password = secret;
    const dead = new URL(wrong.toString());
    dead.port = '1';
    for (const target of [wrong.toString(), dead.toString()]) {
      const r = await runCliAsync(['--db', target, 'customers', 'count', '--verbose'], { cwd: dir });
      expect(r.code).toBe(69);
      expect(r.stderr).toMatch(/cannot open the PostgreSQL store postgres:\/\/mkt_test:\*\*\*@/);
      expect(r.stdout + r.stderr).not.toContain(secret);
    }
  });

  it('a file command (suppress import) writes to the server, never to a file named like the URL', async () => {
    // every command runs on PostgreSQL now; this one used to be refused (78) and must not fall
    // back to opening "postgres:…" as an SQLite path
    writeFileSync(path.join(dir, 'blocked.csv'), 'address\nann@example.com\n');
    const r = await runCliAsync(['suppress', 'import', 'blocked.csv', '--channel', 'email', '--json'], { cwd: dir, env: { MKT_DB: url } });
    expect(r.code).toBe(0);
    expect(r.stdout + r.stderr).not.toContain(password);
    const list = await runCliAsync(['suppress', 'list', '--json'], { cwd: dir, env: { MKT_DB: url } });
    expect(list.stdout).toContain('ann@example.com');
    expect(readdirSync(dir).filter((f) => f.startsWith('postgres'))).toEqual([]);
  });
});

/**
 * The campaign lifecycle up to the send list, run the same way on an SQLite file and on
 * PostgreSQL: every result (--json) must be the same, bar the store's name and the timings.
 */
describe.skipIf(!pgCampaigns)('campaigns on PostgreSQL: the same results as on SQLite', { timeout: 180_000 }, () => {
  const url = pgCampaigns?.url ?? '';
  const password = url ? decodeURIComponent(new URL(url).password) : '';
  const ws = tempWorkspace(true);
  afterAll(() => ws.cleanup());
  const env = { MKT_NOW: '2026-03-02T10:00:00Z' };
  const steps: string[][] = [
    ['customers', 'seed', '--count', '300'],
    ['suppress', 'add', 'NOT-A-CUSTOMER@example.com', '--channel', 'email', '--note', 'asked by phone'],
    ['customers', 'list', '--limit', '3', '--offset', '2'],
    ['customers', 'show', '7'],
    ['segment', 'count', 'everyone-email', '--by', 'country'],
    ['segment', 'list', '--count'],
    ['campaign', 'create', '--name', 'spring', '--channel', 'email', '--segment', 'everyone-email', '--provider', 'outbox', '--template', 'spring-sale'],
    ['campaign', 'check', 'spring'],
    ['campaign', 'prepare', 'spring'],
    ['campaign', 'status', 'spring'],
    ['campaign', 'recount', 'spring'],
    ['campaign', 'show', 'spring'],
    ['campaign', 'list'],
    ['suppress', 'list'],
    ['suppress', 'remove', 'not-a-customer@example.com', '--channel', 'email', '--yes'],
    ['campaign', 'cancel', 'spring', '--yes'],
    ['campaign', 'status', 'spring'],
  ];
  // what differs by nature: how long things took (the clock runs on from MKT_NOW)
  const comparable = (text: string) => JSON.parse(text.replace(/"ms": [\d.]+/g, '"ms": 0').replace(/"2026-03-02T10:0\d:[\d.]+Z"/g, '"(run time)"'));

  it('create → check → prepare → status → recount → cancel, segment counts, customers and suppressions', async () => {
    const sqlite = path.join(ws.dir, 'lifecycle.db');
    for (const step of steps) {
      const [a, b] = await Promise.all([
        runCliAsync(['--db', sqlite, ...step, '--json'], { cwd: ws.dir, env }),
        runCliAsync([...step, '--json'], { cwd: ws.dir, env: { ...env, MKT_DB: url } }),
      ]);
      expect(b.stderr, step.join(' ')).not.toMatch(/does not run on a PostgreSQL store/);
      expect({ step, code: b.code }).toEqual({ step, code: a.code });
      expect(a.code, `${step.join(' ')}: ${a.stderr}`).toBe(0);
      expect(comparable(b.stdout), step.join(' ')).toEqual(comparable(a.stdout));
      expect(b.stdout + b.stderr).not.toContain(password);
    }
    const status = comparable((await runCliAsync(['campaign', 'status', 'spring', '--json'], { cwd: ws.dir, env: { ...env, MKT_DB: url } })).stdout);
    expect(status.state).toBe('cancelled');
    expect(status.recipients).toBeGreaterThan(100);
    expect(status.counts.pending).toBe(status.recipients);
  });
});

describe.skipIf(!pgCopy)('db copy: an SQLite workspace database into PostgreSQL', { timeout: 180_000 }, () => {
  const url = pgCopy?.url ?? '';
  const password = url ? decodeURIComponent(new URL(url).password) : '';
  const ws = tempWorkspace(true);
  afterAll(() => ws.cleanup());
  const env = { MKT_NOW: '2026-03-02T10:00:00Z' };
  const onSqlite = (args: string[]) => runCliAsync(args, { cwd: ws.dir, env });
  const onPg = (args: string[]) => runCliAsync(args, { cwd: ws.dir, env: { ...env, MKT_DB: url } });

  it('copies every table in one transaction, verified; refuses a non-empty target; --replace; a refused row leaves the target as it was', async () => {
    for (const step of SENT_WORKSPACE_STEPS) {
      const r = await onSqlite(step);
      expect(r.code, `${step.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const expected = tableCounts(ws.db);
    expect(expected.campaign_recipients).toBeGreaterThan(50);
    expect(expected.sender_usage).toBeGreaterThan(0);

    const copied = await onSqlite(['db', 'copy', ws.db, url, '--json']);
    expect(copied.code, copied.stderr).toBe(0);
    const r = JSON.parse(copied.stdout);
    expect(r).toMatchObject({ source: ws.db, replaced: false });
    expect(r.tables).toEqual(expected);
    expect(r.target).toContain(':***@');
    expect(r.total).toBe(Object.values(expected).reduce((a, b) => a + b, 0));

    // the copy reads as the original: the same status (5 sent), the same customers
    const status = async (run: typeof onPg) => JSON.parse((await run(['campaign', 'status', 'spring', '--json'])).stdout);
    expect(await status(onPg)).toEqual(await status(onSqlite));
    expect((await onPg(['customers', 'show', '17', '--json'])).stdout).toBe((await onSqlite(['customers', 'show', '17', '--json'])).stdout);
    // identities continue after the copied ids: a new campaign gets the next id
    const created = await onPg(['campaign', 'create', '--name', 'later', '--channel', 'email', '--segment', 'everyone-email', '--provider', 'outbox', '--template', 'spring-sale', '--json']);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).id).toBe(2);

    // a second copy is refused (64), naming what the target holds; nothing changes
    const again = await onSqlite(['db', 'copy', ws.db, url, '--json']);
    expect(again.code).toBe(64);
    expect(JSON.parse(again.stderr).error).toMatchObject({ code: 'copy_target_not_empty' });
    expect(again.stderr).toMatch(/200 rows in customers/);
    expect((await onPg(['campaign', 'list', '--json'])).stdout).toMatch(/"later"/);

    // --replace: the target is emptied and copied again in the same transaction
    const replaced = await onSqlite(['db', 'copy', ws.db, url, '--replace', '--yes']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/its previous rows deleted/);
    expect(JSON.parse((await onPg(['campaign', 'list', '--json'])).stdout).map((c: { name: string }) => c.name)).toEqual(['spring']);

    // a row PostgreSQL refuses (attributes that are not JSON) fails the copy (65) and rolls it all back
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(ws.db);
    db.prepare(`UPDATE customers SET attributes = '{not json' WHERE id = 150`).run();
    db.prepare(`DELETE FROM suppressions`).run();
    db.close();
    const bad = await onSqlite(['db', 'copy', ws.db, url, '--replace', '--yes', '--json']);
    expect(bad.code).toBe(65);
    expect(JSON.parse(bad.stderr).error).toMatchObject({ code: 'copy_failed' });
    expect(bad.stderr).toMatch(/nothing was copied/);
    expect(JSON.parse((await onPg(['suppress', 'list', '--json'])).stdout)).toHaveLength(1);

    // between SQLite and PostgreSQL only (the way back: test/e2e/db-copy-back.test.ts)
    const wrongWay = await onSqlite(['db', 'copy', url, url]);
    expect(wrongWay.code).toBe(64);
    expect(wrongWay.stderr).toMatch(/copy_direction|either way/);
    for (const x of [copied, again, replaced, bad, wrongWay]) expect(x.stdout + x.stderr).not.toContain(password);
  });
});

/**
 * README's least-privilege role, for real: the GRANTs are read from README's "PostgreSQL"
 * section and run as the database owner (who migrates); the runtime role then prepares a
 * campaign, and cannot change the schema.
 */
describe.skipIf(!pgRole)('the least-privilege role of README', { timeout: 120_000 }, () => {
  const owner = pgRole?.url ?? '';
  const appPassword = randomBytes(12).toString('hex');
  const app = (() => {
    if (!owner) return '';
    const u = new URL(owner);
    u.username = APP_ROLE;
    u.password = appPassword;
    return u.toString();
  })();
  const ws = tempWorkspace(true);
  afterAll(() => ws.cleanup());
  const as = (url: string, args: string[]) => runCliAsync(args, { cwd: ws.dir, env: { MKT_DB: url, MKT_NOW: '2026-03-02T10:00:00Z' } });

  /** README's runtime-role block, for this test's role and database. */
  function grants(): string {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const block = /<!-- grants:runtime-role -->\s*```sql\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block, 'README has the runtime role block').toBeTruthy();
    const database = new URL(owner).pathname.slice(1);
    return block!.replaceAll('mkt_app', APP_ROLE).replaceAll('mkt_owner', 'mkt_test').replaceAll('DATABASE mkt ', `DATABASE ${database} `).replaceAll("'change-me'", `'${appPassword}'`);
  }

  it('the owner migrates; the runtime role seeds, creates and prepares, and cannot change the schema', async () => {
    const sql = new pg.Client({ connectionString: owner });
    await sql.connect();
    try {
      const migrated = await as(owner, ['db', 'migrate', '--json']);
      expect(migrated.code, migrated.stderr).toBe(0);
      await sql.query(grants());
      writeFileSync(path.join(ws.dir, 'role-customers.csv'), 'id,email\nr1,r1@example.com\nr2,r2@example.com\n');
      writeFileSync(path.join(ws.dir, 'role-suppressions.csv'), 'address\nr2@example.com\n');

      for (const step of [
        ['db', 'migrate', '--json'], // nothing to apply: runs nothing that needs CREATE
        ['customers', 'seed', '--count', '50'],
        ['suppress', 'add', 'x@example.com', '--channel', 'email'],
        ['customers', 'import', 'role-customers.csv'], // COPY into a TEMP table, LOCK TABLE customers
        ['suppress', 'import', 'role-suppressions.csv', '--channel', 'email'],
        ['campaign', 'create', '--name', 'spring', '--channel', 'email', '--segment', 'everyone-email', '--provider', 'outbox', '--template', 'spring-sale'],
        ['campaign', 'prepare', 'spring', '--json'],
        ['campaign', 'status', 'spring', '--json'],
      ]) {
        const r = await as(app, step);
        expect(r.code, `${step.join(' ')}: ${r.stderr}`).toBe(0);
        expect(r.stdout + r.stderr).not.toContain(appPassword);
      }

      const appSql = new pg.Client({ connectionString: app });
      await appSql.connect();
      try {
        await expect(appSql.query('CREATE TABLE intruder (x int)')).rejects.toThrow(/permission denied/);
        await expect(appSql.query('DROP TABLE customers')).rejects.toThrow(/must be owner/);
        await expect(appSql.query('TRUNCATE customers')).rejects.toThrow(/permission denied/);
      } finally {
        await appSql.end();
      }
    } finally {
      await sql.end();
    }
  });
});
