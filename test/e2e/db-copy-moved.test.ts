/**
 * After `mkt db copy .mkt/mkt.db postgres://…` the old file is marked moved, so with MKT_DB unset
 * a `campaign send` cannot send again what PostgreSQL already sent (the walkthrough re-sent 193):
 * every command that writes to the file or sends from it refuses (78, `store_moved`, naming where
 * it went, never the password), reads still work with a warning, `-v` says which store a
 * command uses, and a copy back down into the file makes it the live store again.
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync, tempWorkspace } from '../support/cli.js';
import { SENT_WORKSPACE_STEPS } from '../support/copy-workspace.js';
import { pgTestDatabase } from '../support/pg.js';

const pgDb = await pgTestDatabase('e2e_copy_moved');
afterAll(async () => {
  await pgDb?.drop();
});

describe.skipIf(!pgDb)('db copy up marks the SQLite file moved', { timeout: 180_000 }, () => {
  const url = pgDb?.url ?? '';
  const password = url ? decodeURIComponent(new URL(url).password) : '';
  const database = url ? new URL(url).pathname.slice(1) : '';
  const ws = tempWorkspace(true);
  afterAll(() => ws.cleanup());
  const env = { MKT_NOW: '2026-03-02T10:00:00Z' };
  const run = (args: string[], db?: string) => runCliAsync(args, { cwd: ws.dir, env: db ? { ...env, MKT_DB: db } : env });
  const sentOnFile = () => {
    const db = new Database(ws.db, { readonly: true });
    try {
      return (db.prepare(`SELECT count(*) AS n FROM campaign_recipients WHERE state = 'sent'`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  };

  it('refuses writes and sends from the old file (78), reads warn, and a copy back down clears the mark', async () => {
    for (const step of SENT_WORKSPACE_STEPS) {
      const r = await run(step);
      expect(r.code, `${step.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const up = await run(['db', 'copy', ws.db, url, '--json']);
    expect(up.code, up.stderr).toBe(0);
    expect(JSON.parse(up.stdout).source_marked_moved).toBe(true);
    expect(up.stderr).toMatch(/is now marked as moved to postgres:\/\/mkt_test:\*\*\*@/);
    // the mark keeps host, port and database: no user, no password
    const mark = new Database(ws.db, { readonly: true });
    expect(mark.prepare('SELECT host, port, database FROM store_moved').all()).toEqual([{ host: '127.0.0.1', port: 5432, database }]);
    mark.close();

    // the rest of the campaign goes out from PostgreSQL
    const rest = await run(['campaign', 'send', 'spring', '--yes', '--json'], url);
    expect(rest.code, rest.stderr).toBe(0);
    expect(JSON.parse(rest.stdout).state).toBe('completed');
    const sent = sentOnFile();

    // MKT_DB forgotten: the default file refuses to send (the walkthrough's double send) or to write
    const again = await run(['campaign', 'send', 'spring', '--yes', '--json']);
    expect(again.code, again.stderr).toBe(78);
    const error = JSON.parse(again.stderr).error;
    expect(error).toMatchObject({ code: 'store_moved', details: { moved_to: `postgres://127.0.0.1:5432/${database}` } });
    expect(error.message).toContain(`was moved to postgres://127.0.0.1:5432/${database}`);
    expect(error.hint).toMatch(/MKT_DB.*--db/);
    expect(sentOnFile()).toBe(sent);
    for (const args of [['suppress', 'add', 'x@example.com', '--channel', 'email'], ['campaign', 'send', '--due', '--yes'], ['customers', 'seed', '--count', '3']]) {
      const r = await run(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(78);
      expect(r.stderr).toMatch(/store_moved|was moved to/);
    }

    // reads still answer, with a warning on stderr; -v says which store and why
    const status = await run(['-v', 'campaign', 'status', 'spring', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).counts.sent).toBe(sent);
    expect(status.stderr).toMatch(/warning: .*mkt\.db was moved to postgres:\/\/127\.0\.0\.1:5432\//);
    expect(status.stderr).toContain(`store: SQLite at ${ws.db} (the workspace default`);
    expect((await run(['-v', 'campaign', 'list'], url)).stderr).toContain('store: PostgreSQL at postgres://mkt_test:***@');

    // a copy back down into the file makes it the live store again: the mark goes with --replace
    const down = await run(['db', 'copy', url, ws.db, '--replace', '--yes']);
    expect(down.code, down.stderr).toBe(0);
    const after = await run(['campaign', 'status', 'spring', '--json']);
    expect(after.stderr).not.toMatch(/moved/);
    expect(JSON.parse(after.stdout).counts.pending).toBe(0);
    expect((await run(['suppress', 'add', 'x@example.com', '--channel', 'email'])).code).toBe(0);
    for (const x of [up, again, status, down]) expect(x.stdout + x.stderr).not.toContain(password);
  });
});
