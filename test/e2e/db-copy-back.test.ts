/**
 * `mkt db copy postgres://… FILE.db` through the built CLI: a workspace sent on SQLite, moved up
 * to PostgreSQL and back down into a new file, reads as the original (the same row counts, the
 * same status and customers, the next id after the copied ones); a non-empty file is refused
 * (64) unless --replace; a row the file refuses (65) leaves it as it was, and a failed copy into
 * a new file leaves no file; SQLite → SQLite is not a copy (64, `copy_direction`). And a private
 * PostgreSQL server stopped while the copy reads it: exit 69, the file as it was (or no file).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { privatePostgres, type PrivatePostgres } from '../chaos/private-postgres.js';
import { runCliAsync, tempWorkspace } from '../support/cli.js';
import { SENT_WORKSPACE_STEPS, tableCounts } from '../support/copy-workspace.js';
import { pgTestDatabase } from '../support/pg.js';

const pgDb = await pgTestDatabase('e2e_copy_back');
afterAll(async () => {
  await pgDb?.drop();
});

describe.skipIf(!pgDb)('db copy: PostgreSQL back into an SQLite file', { timeout: 180_000 }, () => {
  const url = pgDb?.url ?? '';
  const password = url ? decodeURIComponent(new URL(url).password) : '';
  const ws = tempWorkspace(true);
  afterAll(() => ws.cleanup());
  const env = { MKT_NOW: '2026-03-02T10:00:00Z' };
  const back = path.join(ws.dir, 'back.db');
  const run = (args: string[], db?: string) => runCliAsync(args, { cwd: ws.dir, env: db ? { ...env, MKT_DB: db } : env });
  const counts = tableCounts;

  it('moves every table down in one transaction, verified; refuses a non-empty file; --replace; a refused row leaves the file as it was', async () => {
    for (const step of SENT_WORKSPACE_STEPS) {
      const r = await run(step);
      expect(r.code, `${step.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const expected = counts(ws.db);
    expect(expected.campaign_recipients).toBeGreaterThan(50);
    expect((await run(['db', 'copy', ws.db, url])).code).toBe(0);

    // down into a file that does not exist yet: created with the schema, every table counted
    expect(existsSync(back)).toBe(false);
    const copied = await run(['db', 'copy', url, back, '--json']);
    expect(copied.code, copied.stderr).toBe(0);
    const r = JSON.parse(copied.stdout);
    expect(r).toMatchObject({ source: expect.stringContaining(':***@'), target: back, replaced: false });
    expect(r.tables).toEqual(expected);
    expect(r.total).toBe(Object.values(expected).reduce((a, b) => a + b, 0));
    expect(counts(back)).toEqual(expected);

    // the copy reads as the original: the same status (5 sent), the same customers
    const status = async (db: string) => JSON.parse((await run(['campaign', 'status', 'spring', '--json'], db)).stdout);
    expect(await status(back)).toEqual(await status(ws.db));
    expect((await run(['customers', 'show', '17', '--json'], back)).stdout).toBe((await run(['customers', 'show', '17', '--json'])).stdout);
    // ids continue after the copied ones: a new campaign gets the next id
    const created = await run(['campaign', 'create', '--name', 'later', '--channel', 'email', '--segment', 'everyone-email', '--provider', 'outbox', '--template', 'spring-sale', '--json'], back);
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout).id).toBe(2);

    // a second copy is refused (64), naming what the file holds; nothing changes
    const held = counts(back);
    const again = await run(['db', 'copy', url, back, '--json']);
    expect(again.code).toBe(64);
    expect(JSON.parse(again.stderr).error).toMatchObject({ code: 'copy_target_not_empty' });
    expect(again.stderr).toMatch(/200 rows in customers/);
    expect(counts(back)).toEqual(held);

    // --replace: emptied and copied again in the same transaction
    const replaced = await run(['db', 'copy', url, back, '--replace', '--yes']);
    expect(replaced.code, replaced.stderr).toBe(0);
    expect(replaced.stdout).toMatch(/its previous rows deleted/);
    expect(JSON.parse((await run(['campaign', 'list', '--json'], back)).stdout).map((c: { name: string }) => c.name)).toEqual(['spring']);
    expect(counts(back)).toEqual(expected);

    // a row the file refuses (a second suppression of one address, which PostgreSQL took once its
    // unique index was dropped) fails the copy (65) after the customers went in, and rolls it all back
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query('DROP INDEX suppressions_channel_address_uq');
      await admin.query(`INSERT INTO suppressions (channel, address, reason, created_at) SELECT channel, address, reason, created_at FROM suppressions`);
    } finally {
      await admin.end();
    }
    const bad = await run(['db', 'copy', url, back, '--replace', '--yes', '--json']);
    expect(bad.code, bad.stderr).toBe(65);
    expect(JSON.parse(bad.stderr).error).toMatchObject({ code: 'copy_failed' });
    expect(bad.stderr).toMatch(/nothing was copied/);
    expect(counts(back)).toEqual(expected);
    // into a new file: no file is left behind
    const fresh = path.join(ws.dir, 'fresh.db');
    expect((await run(['db', 'copy', url, fresh])).code).toBe(65);
    expect(existsSync(fresh)).toBe(false);

    // a file into a file is not a copy
    const wrongWay = await run(['db', 'copy', ws.db, path.join(ws.dir, 'other.db'), '--json']);
    expect(wrongWay.code).toBe(64);
    expect(JSON.parse(wrongWay.stderr).error).toMatchObject({ code: 'copy_direction' });
    for (const x of [copied, again, replaced, bad, wrongWay]) expect(x.stdout + x.stderr).not.toContain(password);
  });
});

describe('db copy down from a PostgreSQL server lost mid-copy', { timeout: 240_000 }, () => {
  let server: PrivatePostgres | undefined;
  const ws = tempWorkspace(true);
  afterAll(async () => {
    await server?.stop();
    ws.cleanup();
  });
  const env = { MKT_NOW: '2026-03-02T10:00:00Z' };
  const run = (args: string[], db?: string, extra: NodeJS.ProcessEnv = {}) => runCliAsync(args, { cwd: ws.dir, env: { ...env, ...(db ? { MKT_DB: db } : {}), ...extra } });
  /** Every row of the file's customers and campaigns, and every table's count: what "as it was" means. */
  const contents = (file: string) => {
    const db = new Database(file, { readonly: true });
    try {
      return { counts: tableCounts(file), customers: db.prepare('SELECT * FROM customers ORDER BY id').all(), campaigns: db.prepare('SELECT * FROM campaigns ORDER BY id').all() };
    } finally {
      db.close();
    }
  };

  it('exits 69 and leaves an existing file as it was, and a new file not there; a server that stops answering too', async (t) => {
    server = await privatePostgres();
    if (!server) return t.skip();
    const url = server.url;
    // a source large enough that the copy is still reading it when the server goes (5,000 rows a batch)
    const seeded = await run(['customers', 'seed', '--count', '60000'], url);
    expect(seeded.code, seeded.stderr).toBe(0);
    // the existing file: a sent workspace
    for (const step of SENT_WORKSPACE_STEPS) {
      const r = await run(step);
      expect(r.code, `${step.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const before = contents(ws.db);
    const watcher = new pg.Client({ connectionString: url });
    await watcher.connect();
    watcher.on('error', () => {});
    // the copy's cursor is open and being read: then the server stops (pg_ctl stop -m fast), or halts (SIGSTOP)
    const midCopy = async (copy: Promise<unknown>, lose: () => unknown = () => server!.halt()) => {
      let done = false;
      void copy.finally(() => (done = true));
      for (let i = 0; i < 2000 && !done; i++) {
        const r = await watcher.query("SELECT 1 FROM pg_stat_activity WHERE query LIKE 'FETCH%' AND pid <> pg_backend_pid()");
        if (r.rowCount) return lose();
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      throw new Error('the copy was never seen reading');
    };

    const intoExisting = run(['db', 'copy', url, ws.db, '--replace', '--yes', '--json']);
    await midCopy(intoExisting);
    const lost = await intoExisting;
    expect(lost.code, lost.stderr).toBe(69);
    expect(JSON.parse(lost.stderr).error).toMatchObject({ code: 'db_unreachable' });
    expect(lost.stderr).toMatch(/nothing was copied/);
    expect(contents(ws.db)).toEqual(before);

    await server.start();
    await watcher.end().catch(() => {});
    const watcher2 = new pg.Client({ connectionString: url });
    await watcher2.connect();
    watcher2.on('error', () => {});
    Object.assign(watcher, { query: watcher2.query.bind(watcher2) });
    const fresh = path.join(ws.dir, 'fresh.db');
    const intoNew = run(['db', 'copy', url, fresh]);
    await midCopy(intoNew);
    const lostNew = await intoNew;
    expect(lostNew.code, lostNew.stderr).toBe(69);
    for (const f of [fresh, `${fresh}-wal`, `${fresh}-shm`]) expect(existsSync(f), f).toBe(false);
    await watcher2.end().catch(() => {});

    // a server that stops answering (no reset ever comes): before, the copy waited for it forever
    await server.start();
    const watcher3 = new pg.Client({ connectionString: url });
    await watcher3.connect();
    Object.assign(watcher, { query: watcher3.query.bind(watcher3) });
    const started = Date.now();
    const intoHung = run(['db', 'copy', url, ws.db, '--replace', '--yes', '--json'], undefined, { MKT_DB_COPY_ANSWER_S: '3' });
    await midCopy(intoHung, () => server!.freeze());
    const hung = await Promise.race([intoHung, new Promise<never>((_r, reject) => setTimeout(() => reject(new Error('the copy still waits after 30 s')), 30_000))]);
    server.thaw();
    expect(hung.code, hung.stderr).toBe(69);
    expect(hung.stderr).toMatch(/did not answer within 3000 ms/);
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(contents(ws.db)).toEqual(before);
    await watcher3.end().catch(() => {});
  });
});
