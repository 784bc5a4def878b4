/**
 * `mkt db copy` never races a send and never replaces by surprise, through the built CLI:
 * - into a PostgreSQL target with a live worker (the registry), or an SQLite target whose send
 *   lease is held, `--replace` refuses (75, naming the campaign and the worker) and changes nothing;
 * - from an SQLite source whose send lease is held, or a PostgreSQL source with a live worker,
 *   the copy refuses (75): the rows sent after the snapshot would stay pending in the copy;
 * - `--replace` over rows needs --yes without a terminal (64, nothing changed) and asks on one,
 *   showing what it would delete (declining: 64, nothing changed).
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { bufferIo } from '../support/buffer-io.mjs';
import { BIN, cliEnv, runCliAsync, tempWorkspace } from '../support/cli.js';
import { SENT_WORKSPACE_STEPS, tableCounts } from '../support/copy-workspace.js';
import { pgTestDatabase } from '../support/pg.js';
import { scriptedPrompter } from '../support/prompter.js';

const pgDb = await pgTestDatabase('e2e_copy_safety');
afterAll(async () => {
  await pgDb?.drop();
});

const NOW = '2026-03-02T10:00:00Z';

describe.skipIf(!pgDb)('db copy: no copy races a send, no replace without asking', { timeout: 180_000 }, () => {
  const url = pgDb?.url ?? '';
  const ws = tempWorkspace(true);
  afterAll(() => ws.cleanup());
  const env = { MKT_NOW: NOW };
  const old = path.join(ws.dir, 'old.db');
  const run = (args: string[], db?: string) => runCliAsync(args, { cwd: ws.dir, env: db ? { ...env, MKT_DB: db } : env });
  const sql = async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<T[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  };
  const pgCounts = async () => Object.fromEntries(await Promise.all(['customers', 'suppressions', 'campaigns', 'campaign_recipients'].map(async (t) => [t, Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM ${t}`))[0]!.n)])));
  const liveWorker = (id: string, heartbeat = Date.parse(NOW)) =>
    sql(`INSERT INTO workers (id, campaign_id, host, pid, started_at, heartbeat_at) SELECT $1, id, 'elsewhere', 4242, $2, $2 FROM campaigns WHERE name = 'spring'`, [id, heartbeat]);
  const holdLease = (file: string, owner: string) => {
    const db = new Database(file);
    db.prepare(`UPDATE campaigns SET lease_owner = ?, lease_expires_at = ? WHERE name = 'spring'`).run(owner, Date.parse('2099-01-01T00:00:00Z'));
    db.close();
  };

  beforeAll(async () => {
    for (const step of SENT_WORKSPACE_STEPS) {
      const r = await run(step);
      expect(r.code, `${step.join(' ')}: ${r.stderr}`).toBe(0);
    }
    // the old file a user might copy up again by mistake, then the move up
    copyFileSync(ws.db, old);
    const up = await run(['db', 'copy', ws.db, url]);
    expect(up.code, up.stderr).toBe(0);
    // changes taken on PostgreSQL after the move (what a replace by old.db would lose)
    expect((await run(['suppress', 'add', 'late@example.com', '--channel', 'email'], url)).code).toBe(0);
  });

  it('--replace into PostgreSQL refuses (75) while a worker is live there, naming it; nothing changes', async () => {
    const before = await pgCounts();
    await liveWorker('elsewhere:4242:live');
    try {
      const r = await run(['db', 'copy', old, url, '--replace', '--yes', '--json']);
      expect(r.code, r.stderr).toBe(75);
      const error = JSON.parse(r.stderr).error;
      expect(error.code).toBe('copy_store_busy');
      expect(error.message).toMatch(/target .* is sending: 1 live worker\(s\) on campaign\(s\) "spring" \(elsewhere:4242:live\); nothing was copied/);
      expect(await pgCounts()).toEqual(before);
    } finally {
      await sql('DELETE FROM workers');
    }
    // a worker whose heartbeat expired is no longer live: it does not hold the copy back
    await liveWorker('elsewhere:4242:dead', Date.parse(NOW) - 60_000);
    const r = await run(['db', 'copy', old, url, '--replace']);
    expect(r.code).not.toBe(75);
  });

  it('--replace over rows needs --yes without a terminal (64, nothing changed), and asks on one, with what it deletes', async () => {
    const before = await pgCounts();
    const r = await run(['db', 'copy', old, url, '--replace', '--json']);
    expect(r.code, r.stderr).toBe(64);
    expect(JSON.parse(r.stderr).error).toMatchObject({ code: 'confirmation_required', hint: expect.stringContaining('--yes') });
    expect(await pgCounts()).toEqual(before);

    const no = scriptedPrompter([false]);
    const io = bufferIo({ MKT_NOW: NOW }, true);
    expect(await main(['node', 'mkt', 'db', 'copy', old, url, '--replace'], io, { prompter: no, cwd: ws.dir })).toBe(64);
    expect(no.asked).toHaveLength(1);
    expect(no.asked[0]).toMatch(/Replace what postgres:\/\/mkt_test:\*\*\*@.* holds\? 1 campaign\(s\), \d+ ledger row\(s\), 2 suppression\(s\), 0 forgotten address\(es\), 200 customer\(s\) will be deleted/);
    expect(no.asked[0]).not.toContain(decodeURIComponent(new URL(url).password));
    expect(await pgCounts()).toEqual(before);
    // Ctrl-C at the question (inquirer's ExitPromptError): an interrupted copy, nothing changed
    const ctrlC = { ...scriptedPrompter([]), confirm: async () => Promise.reject(Object.assign(new Error('User force closed the prompt with SIGINT'), { name: 'ExitPromptError' })) };
    const io2 = bufferIo({ MKT_NOW: NOW }, true);
    expect(await main(['node', 'mkt', 'db', 'copy', old, url, '--replace'], io2, { prompter: ctrlC, cwd: ws.dir })).toBe(75);
    expect(io2.err()).toMatch(/db copy interrupted: nothing was copied; .* was left as it was/);
    expect(await pgCounts()).toEqual(before);

    const yes = await run(['db', 'copy', old, url, '--replace', '--yes', '--json']);
    expect(yes.code, yes.stderr).toBe(0);
    expect(JSON.parse(yes.stdout).replaced).toBe(true);
    expect((await pgCounts()).suppressions).toBe(1);
  });

  it('--replace into an SQLite file refuses (75) while its send lease is held; nothing changes', async () => {
    const back = path.join(ws.dir, 'back.db');
    expect((await run(['db', 'copy', url, back])).code).toBe(0);
    holdLease(back, 'elsewhere:4242:lease');
    const held = tableCounts(back);
    const r = await run(['db', 'copy', url, back, '--replace', '--yes', '--json']);
    expect(r.code, r.stderr).toBe(75);
    expect(JSON.parse(r.stderr).error.message).toMatch(/target .*back\.db is sending: .*"spring" \(elsewhere:4242:lease\)/);
    expect(tableCounts(back)).toEqual(held);
  });

  it('refuses (75) to copy from an SQLite file while a send holds its lease, or from PostgreSQL while a worker is live', async () => {
    const busy = path.join(ws.dir, 'busy.db');
    copyFileSync(old, busy);
    holdLease(busy, 'elsewhere:4242:sender');
    const before = await pgCounts();
    const up = await run(['db', 'copy', busy, url, '--replace', '--yes', '--json']);
    expect(up.code, up.stderr).toBe(75);
    expect(JSON.parse(up.stderr).error.message).toMatch(/source .*busy\.db is sending: .*"spring" \(elsewhere:4242:sender\); nothing was copied/);
    expect(await pgCounts()).toEqual(before);

    await liveWorker('elsewhere:4242:worker');
    try {
      const fresh = path.join(ws.dir, 'fresh.db');
      const down = await run(['db', 'copy', url, fresh, '--json']);
      expect(down.code, down.stderr).toBe(75);
      expect(JSON.parse(down.stderr).error.message).toMatch(/source postgres:.* is sending: .*"spring" \(elsewhere:4242:worker\)/);
      expect(existsSync(fresh)).toBe(false);
    } finally {
      await sql('DELETE FROM workers');
    }
  });

  it('the walkthrough: --replace while a real `campaign send` runs on PostgreSQL refuses (75), and the send goes on undisturbed', async () => {
    const rows = async () => Number((await sql<{ n: string }>('SELECT count(*) AS n FROM campaign_recipients'))[0]!.n);
    const total = await rows();
    const child = spawn(process.execPath, [BIN, 'campaign', 'send', 'spring', '--yes', '--throttle', '2/s', '--json'], { cwd: ws.dir, env: cliEnv({ ...env, MKT_DB: url }) });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      let worker: string | undefined;
      for (let i = 0; i < 300 && !worker; i++) {
        worker = (await sql<{ id: string }>('SELECT id FROM workers'))[0]?.id;
        if (!worker) await sleep(50);
      }
      expect(worker).toBeDefined();
      const r = await run(['db', 'copy', old, url, '--replace', '--yes', '--json']);
      expect(r.code, r.stderr).toBe(75);
      expect(JSON.parse(r.stderr).error.message).toContain(`"spring" (${worker})`);
    } finally {
      child.kill('SIGINT');
    }
    expect(await exited).toBe(75);
    // the worker paused with its ledger whole: nothing vanished under it
    expect(JSON.parse(out)).toMatchObject({ campaign: 'spring', state: 'paused', stop: 'interrupted' });
    expect(await rows()).toBe(total);
    expect(Number((await sql<{ n: string }>(`SELECT count(*) AS n FROM campaign_recipients WHERE state = 'sent'`))[0]!.n)).toBeGreaterThanOrEqual(5);
  });
});
