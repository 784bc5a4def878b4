/**
 * The dispatcher's promises under faults, through the real CLI, the real twilio SDK and a
 * fake Twilio server on 127.0.0.1: never a duplicate, never a silent skip, pauses on fatal
 * errors, paces under throttling, one sender process per campaign.
 */
import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { BIN, cliEnv, runCliAsync } from '../support/cli.js';
import { smsWorkspace, TWILIO_TOKEN, type SmsWorkspace } from '../support/campaign-workspace.js';

let ws: SmsWorkspace | undefined;
let fake: FakeTwilio | undefined;
afterEach(async () => {
  ws?.cleanup();
  await fake?.close();
  ws = undefined;
  fake = undefined;
});

async function setup(n: number, opts: { rate?: string; concurrency?: number; latency?: number; seed?: number } = {}) {
  fake = await startFakeTwilio({ seed: opts.seed ?? 1, authToken: TWILIO_TOKEN });
  if (opts.latency) fake.inject({ type: 'latency', ms: opts.latency });
  ws = smsWorkspace(n, { twilioUrl: fake.url, rate: opts.rate, concurrency: opts.concurrency });
  expect(ws.cli(['campaign', 'create', '--name', 'c', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'tw', '--template', 'hello']).code).toBe(0);
  expect(ws.cli(['campaign', 'prepare', 'c']).code).toBe(0);
  return { ws, fake };
}

const send = (w: SmsWorkspace, extra: string[] = []) => runCliAsync(['campaign', 'send', 'c', '--yes', '--json', ...extra], { cwd: w.dir, env: w.env, timeoutMs: 120_000 });

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(cond: () => boolean, timeoutMs = 60_000) {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await wait(10);
  }
}

/** Receipts per recipient: the fake's view of what went out. */
function receiptCounts(f: FakeTwilio): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of f.receipts) m.set(r.to, (m.get(r.to) ?? 0) + 1);
  return m;
}

/** Compares the fake's receipts with the ledger: duplicated / lost / unexpected must be empty. */
function reconcile(w: SmsWorkspace, f: FakeTwilio) {
  const received = receiptCounts(f);
  const rows = w.query<{ address: string; state: string }>('SELECT address, state FROM campaign_recipients');
  const duplicated = [...received].filter(([, n]) => n > 1).map(([a]) => a);
  const lost = rows.filter((r) => r.state === 'sent' && !received.has(r.address)).map((r) => r.address);
  const known = new Set(rows.map((r) => r.address));
  const unexpected = [...received.keys()].filter((a) => !known.has(a));
  const sentButNotRecorded = rows.filter((r) => (r.state === 'pending' || r.state === 'failed') && received.has(r.address)).map((r) => r.address);
  return { duplicated, lost, unexpected, sentButNotRecorded, unknown: rows.filter((r) => r.state === 'unknown').length };
}

describe('campaign send under faults (fake Twilio)', { timeout: 180_000 }, () => {
  it('survives repeated kill -9: each recipient at most once, all final, unknowns bounded by what was in flight', async () => {
    const concurrency = 6;
    const { ws, fake } = await setup(1500, { concurrency, latency: 3, rate: '1500/s' });
    let seed = 42;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    let crashes = 0;
    for (let round = 0; round < 6; round++) {
      const before = fake.receipts.length;
      const child = spawn(process.execPath, [BIN, 'campaign', 'send', 'c', '--yes'], { cwd: ws.dir, env: cliEnv(ws.env), stdio: 'ignore' });
      const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
      const target = before + 40 + Math.floor(rnd() * 180);
      const done = await Promise.race([until(() => fake.receipts.length >= target).then(() => false), exited.then(() => true)]);
      if (done) break;
      child.kill('SIGKILL');
      await exited;
      crashes++;
      const r = reconcile(ws, fake);
      expect(r.duplicated).toEqual([]);
    }
    expect(crashes).toBeGreaterThan(2);
    const final = await send(ws);
    expect(final.code).toBe(0);
    const r = reconcile(ws, fake);
    expect(r.duplicated).toEqual([]);
    expect(r.lost).toEqual([]);
    expect(r.unexpected).toEqual([]);
    expect(r.sentButNotRecorded).toEqual([]);
    // claimed-but-unrecorded rows are at most `concurrency` in flight plus one flush batch
    expect(r.unknown).toBeLessThanOrEqual(crashes * 2 * concurrency);
    const states = ws.states();
    expect(states.pending ?? 0).toBe(0);
    expect(states.sending ?? 0).toBe(0);
    expect((states.sent ?? 0) + (states.unknown ?? 0)).toBe(1500);
    // every unknown is reported, and --retry-unknown would resend exactly those
    const status = JSON.parse(ws.cli(['campaign', 'status', 'c', '--json']).stdout);
    expect(status.counts.unknown).toBe(r.unknown);
  });

  it('30% throttling: everything sent exactly once, never faster than the limit', async () => {
    const { ws, fake } = await setup(300, { rate: '100/s', concurrency: 8, seed: 7 });
    fake.inject({ type: 'throttle', probability: 0.3 });
    const r = await send(ws);
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout);
    expect(summary).toMatchObject({ sent: 300, failed: 0, unknown: 0 });
    expect(summary.retried).toBeGreaterThan(30);
    expect([...receiptCounts(fake).values()].every((n) => n === 1)).toBe(true);
    expect(fake.receipts).toHaveLength(300);
    // every request (accepted or throttled) is paced: no one-second window above the rate
    const times = ws.query<{ t: number }>("SELECT sent_at AS t FROM campaign_recipients WHERE state = 'sent' ORDER BY sent_at").map((x) => x.t);
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst).toBeLessThanOrEqual(100 + 3);
  });

  it('a fatal error mid-run pauses at once (exit 69); resuming after the fix completes without duplicates', async () => {
    const concurrency = 5;
    const { ws, fake } = await setup(400, { concurrency, latency: 5 });
    const running = send(ws);
    await until(() => fake.receipts.length >= 100);
    const requestsAtFault = fake.requests.length;
    fake.inject({ type: 'auth' });
    const r = await running;
    expect(r.code).toBe(69);
    expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!).error.code).toMatch(/^fatal/);
    const extra = fake.requests.length - requestsAtFault;
    expect(extra).toBeLessThanOrEqual(concurrency);
    const status = JSON.parse(ws.cli(['campaign', 'status', 'c', '--json']).stdout);
    expect(status.state).toBe('paused');
    expect(status.counts.sending).toBe(0);
    expect(status.counts.failed).toBe(0);

    fake.clearFaults();
    const resumed = await send(ws);
    expect(resumed.code).toBe(0);
    expect(JSON.parse(resumed.stdout)).toMatchObject({ state: 'completed' });
    expect(fake.receipts).toHaveLength(400);
    expect(receiptCounts(fake).size).toBe(400);
    expect(ws.states()).toEqual({ sent: 400 });
  });

  it('two concurrent sends of one campaign: exactly one sends, the other exits 75', async () => {
    const { ws, fake } = await setup(300, { concurrency: 4, latency: 5 });
    const [a, b] = await Promise.all([send(ws), send(ws)]);
    const codes = [a.code, b.code].sort();
    expect(codes).toEqual([0, 75]);
    const loser = a.code === 75 ? a : b;
    expect(loser.stderr).toContain('campaign_busy');
    expect(fake.receipts).toHaveLength(300);
    expect(receiptCounts(fake).size).toBe(300);
  });

  it('never more requests in flight than --concurrency; senders follow their weights', async () => {
    const { ws, fake } = await setup(400, { concurrency: 16, latency: 15 });
    const r = await send(ws, ['--concurrency', '5']);
    expect(r.code).toBe(0);
    expect(fake.maxConcurrent).toBeLessThanOrEqual(5);
    expect(fake.maxConcurrent).toBeGreaterThanOrEqual(3);
    const bySender = new Map<string, number>();
    for (const x of fake.receipts) bySender.set(x.from!, (bySender.get(x.from!) ?? 0) + 1);
    // weights 1:1:2 over 400
    expect(bySender.get('+15550000001')).toBe(100);
    expect(bySender.get('+15550000002')).toBe(100);
    expect(bySender.get('+15550000003')).toBe(200);
  });

  it('an opted-out recipient (21610) fails and is suppressed; the rest go out', async () => {
    const { ws, fake } = await setup(30, { concurrency: 3 });
    fake.inject({ type: 'reject-recipients', recipients: [ws.phones[5]!], code: 21610 });
    const r = await send(ws);
    expect(r.code).toBe(0);
    expect(ws.states()).toEqual({ sent: 29, failed: 1 });
    expect(ws.query('SELECT channel, address, reason FROM suppressions')).toEqual([{ channel: 'sms', address: ws.phones[5], reason: 'stop_keyword' }]);
  });
});
