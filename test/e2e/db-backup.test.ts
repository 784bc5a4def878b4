/**
 * `mkt db backup FILE`: SQLite's online backup while a send to a slow fake Twilio is running;
 * the copy opens, passes integrity_check, holds a consistent ledger, is 0600, and an existing
 * file is only replaced with --force.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { smsWorkspace, TWILIO_TOKEN, type SmsWorkspace } from '../support/campaign-workspace.js';
import { runCli, runCliAsync, tempWorkspace } from '../support/cli.js';

let ws: SmsWorkspace | undefined;
let fake: FakeTwilio | undefined;
afterEach(async () => {
  ws?.cleanup();
  await fake?.close();
  ws = undefined;
  fake = undefined;
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await wait(10);
  }
}

function inspect(file: string) {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return {
      integrity: (db.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check),
      journal: db.pragma('journal_mode', { simple: true }),
      states: Object.fromEntries((db.prepare('SELECT state, count(*) AS n FROM campaign_recipients GROUP BY state').all() as Array<{ state: string; n: number }>).map((r) => [r.state, r.n])),
      customers: (db.prepare('SELECT count(*) AS n FROM customers').get() as { n: number }).n,
      campaign: db.prepare("SELECT state FROM campaigns WHERE name = 'c'").get() as { state: string } | undefined,
    };
  } finally {
    db.close();
  }
}

describe('mkt db backup', { timeout: 180_000 }, () => {
  it('copies a consistent, verified, private database while a send runs', async () => {
    const n = 400;
    fake = await startFakeTwilio({ seed: 1, authToken: TWILIO_TOKEN });
    fake.inject({ type: 'latency', ms: 15 });
    ws = smsWorkspace(n, { twilioUrl: fake.url, concurrency: 2, rate: '2000/s' });
    expect(ws.cli(['campaign', 'create', '--name', 'c', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'tw', '--template', 'hello']).code).toBe(0);
    expect(ws.cli(['campaign', 'prepare', 'c']).code).toBe(0);
    const sending = runCliAsync(['campaign', 'send', 'c', '--yes', '--json'], { cwd: ws.dir, env: ws.env, timeoutMs: 150_000 });
    await until(() => fake!.receipts.length >= 40);

    const target = path.join(ws.dir, 'backups-mkt.db');
    const b = await runCliAsync(['db', 'backup', target, '--json'], { cwd: ws.dir, env: ws.env });
    const receiptsAfterBackup = fake.receipts.length;
    expect(b.code, b.stderr).toBe(0);
    const sent = await sending;
    expect(sent.code, sent.stderr).toBe(0);
    // the backup really ran mid-send: the send was still going when it finished
    expect(receiptsAfterBackup).toBeLessThan(n);

    expect(JSON.parse(b.stdout)).toMatchObject({ file: target, integrity: 'ok', mode: '0600' });
    expect(statSync(target).mode & 0o777).toBe(0o600);
    const copy = inspect(target);
    expect(copy.integrity).toEqual(['ok']);
    expect(copy.journal).toBe('delete'); // one self-contained file
    expect(copy.customers).toBe(n);
    expect(copy.campaign?.state).toBe('sending');
    // every frozen recipient is in the copy, in some state; what it records as sent went out
    const total = Object.values(copy.states).reduce((a, b) => a + b, 0);
    expect(total).toBe(n);
    expect(copy.states.sent ?? 0).toBeGreaterThan(0);
    expect((copy.states.sent ?? 0) + (copy.states.sending ?? 0)).toBeLessThanOrEqual(receiptsAfterBackup + 2);
    expect(existsSync(`${target}-wal`)).toBe(false);
    // the live database finished normally
    expect(ws.states('c')).toEqual({ sent: n });
  });

  it('refuses to replace a file without --force; no database is a config error', () => {
    const w = tempWorkspace(true);
    try {
      expect(runCli(['customers', 'seed', '--count', '20'], { cwd: w.dir }).code).toBe(0);
      const target = path.join(w.dir, 'copy.db');
      writeFileSync(target, 'precious');
      const refused = runCli(['db', 'backup', 'copy.db'], { cwd: w.dir });
      expect(refused.code).toBe(64);
      expect(refused.stderr).toContain(target);
      expect(readFileSync(target, 'utf8')).toBe('precious');
      const forced = runCli(['db', 'backup', 'copy.db', '--force'], { cwd: w.dir });
      expect(forced.code, forced.stderr).toBe(0);
      expect(inspect(target).customers).toBe(20);
      expect(statSync(target).mode & 0o777).toBe(0o600);

      const none = runCli(['--db', path.join(w.dir, 'nothing.db'), 'db', 'backup', 'x.db', '--json'], { cwd: w.dir });
      expect(none.code).toBe(78);
      expect(JSON.parse(none.stderr).error.code).toBe('db_missing');
      expect(existsSync(path.join(w.dir, 'nothing.db'))).toBe(false);
      expect(existsSync(path.join(w.dir, 'x.db'))).toBe(false);

      // a target folder that does not exist is 73 naming the path, as for every --out (was 78)
      const noFolder = runCli(['db', 'backup', 'no/such/copy.db', '--json'], { cwd: w.dir });
      expect(noFolder.code, noFolder.stderr).toBe(73);
      expect(JSON.parse(noFolder.stderr).error).toMatchObject({ code: 'folder_missing', message: expect.stringContaining(path.join(w.dir, 'no/such/copy.db')) });
    } finally {
      w.cleanup();
    }
  });
});
