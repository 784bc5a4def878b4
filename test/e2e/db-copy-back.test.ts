/**
 * `mkt db copy postgres://… FILE.db` through the built CLI: a workspace sent on SQLite, moved up
 * to PostgreSQL and back down into a new file, reads as the original (the same row counts, the
 * same status and customers, the next id after the copied ones); a non-empty file is refused
 * (64) unless --replace; a row the file refuses (65) leaves it as it was, and a failed copy into
 * a new file leaves no file; SQLite → SQLite is not a copy (64, `copy_direction`).
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
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
    const replaced = await run(['db', 'copy', url, back, '--replace']);
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
    const bad = await run(['db', 'copy', url, back, '--replace', '--json']);
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
