/**
 * A `mkt serve` already running on the workspace's SQLite file when `mkt db copy` moves the
 * file up to PostgreSQL: it must not go on writing clicks, opens and, worst, opt-outs into the
 * old file, where the team never sees them. It keeps answering, spools every record, logs one
 * `error store_moved` line, says so on /healthz and exits 78 when stopped; started again with
 * MKT_DB set to the PostgreSQL database it replays the spool there, exactly once (the opt-out a
 * suppression), and the spool is gone.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { spoolFile } from '../../src/compliance/serve-spool.js';
import { complianceWorkspace } from '../support/compliance-workspace.js';
import { pgTestDatabase } from '../support/pg.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';
import { BROWSER, CUSTOMERS, EMAIL, emlOf, LATER, local, MKT_YAML, oneClick, pixelUrl, sendNews, tracked, unsubscribeUrl, waitFor } from '../support/tracked-mail.js';

const pgDb = await pgTestDatabase('e2e_serve_moved');
const pgOther = await pgTestDatabase('e2e_serve_moved_other');
afterAll(async () => {
  await pgDb?.drop();
  await pgOther?.drop();
});

/** A pid no process has: the spool's server is gone. */
const DEAD_PID = 4_194_303;

/** What serve writes, as one comparable value: hit counts, seen rows, opt-outs, events. */
const WRITES = [
  'SELECT campaign_id, link_id, hour, kind, machine, count, unique_count FROM engagement_hourly ORDER BY campaign_id, link_id, hour, kind, machine',
  'SELECT count(*) AS n FROM engagement_seen',
  'SELECT channel, address, reason, source FROM suppressions ORDER BY channel, address',
  'SELECT count(*) AS n FROM feedback_events',
];

describe.skipIf(!pgDb)('mkt serve running when its SQLite file is moved up to PostgreSQL', { timeout: 180_000 }, () => {
  const ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: MKT_YAML });
  afterAll(() => ws.cleanup());
  const url = pgDb?.url ?? '';
  const where = url ? `postgres://127.0.0.1:5432/${new URL(url).pathname.slice(1)}` : '';
  const started: ServeProcess[] = [];
  afterAll(async () => {
    for (const s of started) await s.stop();
  });
  const serve = async (env: NodeJS.ProcessEnv) => {
    const s = await startServe(ws.dir, { ...ws.env, MKT_NOW: LATER, ...env });
    started.push(s);
    return s;
  };
  const onFile = (): unknown[] => {
    const db = new Database(ws.db, { readonly: true });
    try {
      return WRITES.map((sql) => db.prepare(sql).all());
    } finally {
      db.close();
    }
  };
  const onPg = async (): Promise<unknown[]> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const out: unknown[] = [];
      // bigint columns come back as strings: compare numbers
      for (const sql of WRITES) out.push((await client.query(sql)).rows.map((r: Record<string, unknown>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, /^\d+$/.test(String(v)) ? Number(v) : v]))));
      return out;
    } finally {
      await client.end();
    }
  };
  const spools = () => readdirSync(path.join(ws.dir, '.mkt')).filter((f) => f.includes('-serve-spool.'));
  const hit = (s: ServeProcess, u: string) => fetch(local(s, u), { redirect: 'manual', headers: { 'user-agent': BROWSER } });

  it('spools every hit and opt-out after the move, writes none into the old file, and replays them into PostgreSQL once', async () => {
    ws.write('templates/email/tracked.mjml', EMAIL);
    sendNews(ws.cli);
    const [anaSale] = tracked(emlOf(ws, 'ana@example.org'));
    const [cySale] = tracked(emlOf(ws, 'cy@example.org'));

    const old = await serve({});
    // before the move the file is the live store: ana's click is written into it
    expect((await hit(old, anaSale!)).status).toBe(302);
    await waitFor(() => JSON.stringify(onFile()[0]).includes('"kind":"click"'), "ana's click in the file");

    const copied = ws.cli(['db', 'copy', ws.db, url, '--json']);
    expect(copied.code, copied.stderr).toBe(0);
    expect(JSON.parse(copied.stdout).source_marked_moved).toBe(true);
    const moved = onFile();

    // after it: a click, an open, an opt-out, all answered as ever
    const click = await hit(old, cySale!);
    expect([click.status, click.headers.get('location')]).toEqual([302, 'https://shop.example/sale']);
    const open = await hit(old, pixelUrl(emlOf(ws, 'ana@example.org')));
    expect([open.status, open.headers.get('content-type')]).toEqual([200, 'image/gif']);
    const unsub = await oneClick(old, unsubscribeUrl(emlOf(ws, 'ben@example.org')));
    expect(unsub.status).toBe(200);
    expect(await unsub.text()).toContain('You are unsubscribed');
    await waitFor(() => /tracking: 2 hit\(s\)/.test(old.log()), 'the batch of hits');

    // nothing reached the old file; one error line says what happened and what to do
    expect(onFile()).toEqual(moved);
    expect(old.log()).toMatch(/tracking: 2 hit\(s\): spooled \(database moved\)/);
    expect(old.log().match(/error store_moved/g)).toHaveLength(1);
    const line = old.log().split('\n').find((l) => l.includes('error store_moved'))!;
    expect(line).toContain(`${ws.db} was moved to ${where} on `);
    expect(line).toContain(`spooled to ${path.join(ws.dir, '.mkt', `mkt.db-serve-spool.${old.child.pid}.jsonl`)}`);
    expect(line).toContain(`start it again with MKT_DB set to ${where} (with its user and password)`);
    expect(line).not.toContain('mkt_test_only_password');
    expect(old.log()).toMatch(/unsubscribe \S+: spooled \(database moved\)/);
    const health = await fetch(`${old.base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.text()).toMatch(/^store_moved: .*; 2 record\(s\) spooled to /);
    const [spool] = spools();
    expect(spool).toBe(`mkt.db-serve-spool.${old.child.pid}.jsonl`);
    const records = readFileSync(path.join(ws.dir, '.mkt', spool!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { t: string });
    expect(records.map((r) => r.t).sort()).toEqual(['engage', 'unsubscribe']);

    // stopped: its exit says the store moved (78), and the spool stays for the new store
    expect(await old.stop()).toBe(78);
    expect(old.log()).toMatch(/2 spooled record\(s\) stay in .*mkt\.db-serve-spool\.\d+\.jsonl, for the store this one moved to/);
    expect(onFile()).toEqual(moved);
    expect(spools()).toEqual([spool]);

    // started again on PostgreSQL: the spool is replayed there, once, and removed
    const before = await onPg();
    const fresh = await serve({ MKT_DB: url });
    expect(fresh.log()).toMatch(/applied 2 opt-out\(s\), event\(s\) and hit batch\(es\) that mkt serve had spooled beside .*mkt\.db after it was moved here/);
    expect(await (await fetch(`${fresh.base}/healthz`)).text()).toBe('ok\n');
    expect(await fresh.stop()).toBe(0);
    expect(spools()).toEqual([]);
    const after = await onPg();
    expect(after[2]).toEqual([{ channel: 'email', address: 'ben@example.org', reason: 'unsubscribed', source: 'unsubscribe:c1' }]);
    expect(before[2]).toEqual([]);
    const total = (rows: unknown, kind: string) =>
      (rows as Array<{ link_id: number; kind: string; machine: number; count: number }>).filter((r) => r.link_id === 0 && r.kind === kind && r.machine === 0).reduce((n, r) => n + r.count, 0);
    // ana's click came over with the copy; cy's click and ana's open were added by the replay, once
    expect([total(before[0], 'click'), total(before[0], 'open')]).toEqual([1, 0]);
    expect([total(after[0], 'click'), total(after[0], 'open')]).toEqual([2, 1]);

    // another command writing to PostgreSQL finds nothing more to replay
    const again = ws.cli(['suppress', 'add', 'zed@example.org', '--channel', 'email'], { MKT_DB: url });
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).not.toContain('spooled');
    expect(total((await onPg())[0], 'click')).toBe(2);
  });

  it.skipIf(!pgOther)('db replay-spool replays what a server left beside a moved file outside the workspace default, once', () => {
    const other = pgOther!.url;
    const file = path.join(ws.dir, 'other.db');
    expect(ws.cli(['db', 'backup', file]).code).toBe(0);
    const up = ws.cli(['db', 'copy', file, other]);
    expect(up.code, up.stderr).toBe(0);
    // what a server on other.db spooled after the move, then stopped: ana's opt-out
    const customerId = Number(ws.cli(['customers', 'show', 'a', '--json'], { MKT_DB: other }).stdout.match(/"id":\s*(\d+)/)![1]);
    writeFileSync(spoolFile(file, DEAD_PID), JSON.stringify({ t: 'unsubscribe', at: Date.parse(LATER), campaignId: 1, customerId, channel: 'email', ref: 'x' }) + '\n', { mode: 0o600 });
    const suppressed = () => JSON.parse(ws.cli(['suppress', 'list', '--json'], { MKT_DB: other }).stdout) as Array<{ address: string }>;

    // only the workspace's own .mkt/mkt.db is looked at by other commands; the file's spool waits
    expect(suppressed().map((r) => r.address)).not.toContain('ana@example.org');
    const sqlite = ws.cli(['db', 'replay-spool', file]);
    expect([sqlite.code, JSON.parse(ws.cli(['db', 'replay-spool', file, '--json']).stderr).error.code]).toEqual([64, 'replay_target']);
    const elsewhere = ws.cli(['db', 'replay-spool', file, '--json'], { MKT_DB: url });
    expect([elsewhere.code, JSON.parse(elsewhere.stderr).error.code]).toEqual([64, 'replay_target']);
    expect(existsSync(spoolFile(file, DEAD_PID))).toBe(true);

    const replayed = ws.cli(['db', 'replay-spool', file, '--json'], { MKT_DB: other });
    expect(replayed.code, replayed.stderr).toBe(0);
    expect(JSON.parse(replayed.stdout)).toMatchObject({ file, applied: 1 });
    expect(existsSync(spoolFile(file, DEAD_PID))).toBe(false);
    expect(suppressed().filter((r) => r.address === 'ana@example.org')).toHaveLength(1);
    const again = ws.cli(['db', 'replay-spool', file, '--json'], { MKT_DB: other });
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: 0 });
  });
});
