/**
 * Several `campaign send` workers on one PostgreSQL campaign, each one's own summary: `sent` is
 * what THAT worker sent (the workers' sum is what the fake received), and a worker that runs out
 * of rows to claim while another is still sending says so (`state: sending`, `stop:
 * workers_finishing`, exit 0) and leaves the campaign's state alone; the last worker to finish
 * completes the campaign. Built CLI, fake SES with slow answers so the overlap is certain:
 *   A (--concurrency 1) claims 1 row; B (--concurrency 10) then claims the other 10;
 *   C starts while B's 10 are in flight and finds nothing to claim;
 *   A's one answer comes back first: nothing left to claim, B still sending;
 *   B finishes last and completes the campaign.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgWorkspace } from '../chaos/pg-workspace.js';
import { SES_KEY } from '../chaos/workspace.js';
import { startFakeSes, type FakeSes } from '../fakes/ses.js';
import { pgTestDatabase } from '../support/pg.js';
import { runCliAsync } from '../support/cli.js';

const pgDb = await pgTestDatabase('e2e_workers');
/** each case's workspace creates campaign `c`: a database of its own for each */
const pgCap = pgDb && (await pgTestDatabase('e2e_workers_cap'));
const pgSignal = pgDb && (await pgTestDatabase('e2e_workers_signal'));
const pgCancel = pgDb && (await pgTestDatabase('e2e_workers_cancel'));
let ses: FakeSes;
beforeAll(async () => {
  ses = await startFakeSes({ accessKeyId: SES_KEY });
});
afterAll(async () => {
  await ses?.close();
  await pgDb?.drop();
  await pgCap?.drop();
  await pgSignal?.drop();
  await pgCancel?.drop();
});

/** Each provider answer takes this long: longer than a worker takes to start. */
const LATENCY_MS = 6000;

async function until(what: string, check: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Summary {
  state: string;
  stop: string;
  sent: number;
  counts: Record<string, number>;
}

describe.skipIf(!pgDb)('several workers on one PostgreSQL campaign: each summary is its own', { timeout: 120_000 }, () => {
  it("sums to the fake's receipts; a worker left with nothing to claim says the others are finishing; the last completes", async () => {
    ses.clear();
    ses.inject({ type: 'latency', ms: LATENCY_MS });
    const ws = await pgWorkspace({ url: pgDb!.url, n: 11, sesUrl: ses.url, concurrency: 10, workerTtlS: 30 });
    try {
      const campaignState = async () => (await ws.query<{ state: string }>(`SELECT state FROM campaigns WHERE name = 'c'`))[0]!.state;
      const a = ws.worker(['--concurrency', '1']);
      await until('A to claim its row', async () => (await ws.states()).sending === 1);
      const b = ws.worker(['--concurrency', '10']);
      await until('B to claim the rest', async () => (await ws.states()).sending === 11);
      const c = ws.worker(['--concurrency', '10']);

      const rc = await c.done;
      expect(rc.code, rc.stderr).toBe(0);
      const sc = JSON.parse(rc.stdout) as Summary;
      expect(sc).toMatchObject({ state: 'sending', stop: 'workers_finishing', sent: 0 });
      // C left the campaign as the others have it
      expect(await campaignState()).toBe('sending');

      const ra = await a.done;
      expect(ra.code, ra.stderr).toBe(0);
      const sa = JSON.parse(ra.stdout) as Summary;
      expect(sa).toMatchObject({ state: 'sending', stop: 'workers_finishing', sent: 1 });
      expect(sa.counts.sending).toBeGreaterThan(0);
      expect(await campaignState()).toBe('sending');

      const rb = await b.done;
      expect(rb.code, rb.stderr).toBe(0);
      const sb = JSON.parse(rb.stdout) as Summary;
      expect(sb).toMatchObject({ state: 'completed', stop: 'completed', sent: 10 });
      expect(sb.counts).toMatchObject({ sent: 11, pending: 0, sending: 0 });
      expect(await campaignState()).toBe('completed');

      // each counted its own: together exactly what the fake received, once each
      expect(sa.sent + sb.sent + sc.sent).toBe(ses.receipts.length);
      expect(new Set(ses.receipts.flatMap((r) => r.to)).size).toBe(11);
    } finally {
      ses.clearFaults();
      await ws.close();
    }
  });

  it('a daily cap of 25 shared by 3 workers sends exactly 25, and sender_usage counts exactly what the provider got', async () => {
    ses.clear();
    const ws = await pgWorkspace({ url: pgCap!.url, n: 40, sesUrl: ses.url, concurrency: 4, rate: '50/s', senders: '[ { address: "Chaos <news@chaos.example>", daily_cap: 25 } ]' });
    try {
      const workers = [ws.worker(), ws.worker(), ws.worker()];
      const runs = await Promise.all(workers.map((w) => w.done));
      const summaries = runs.map((r) => JSON.parse(r.stdout) as Summary);
      for (const r of runs) expect(r.code, r.stderr).toBe(75);
      for (const s of summaries) expect(s.stop).toBe('daily_cap');
      expect(ses.receipts).toHaveLength(25);
      expect(summaries.reduce((a, s) => a + s.sent, 0)).toBe(25);
      const usage = await ws.query<{ count: number }>('SELECT count FROM sender_usage');
      expect(usage.map((u) => Number(u.count))).toEqual([25]);
      expect(await ws.states()).toEqual({ sent: 25, pending: 15 });
      // the first two to stop left the state to the others; the last one paused it for the day
      expect(summaries.filter((s) => s.state === 'sending').length).toBe(2);
      expect((await ws.query<{ state: string; pause_reason: string }>(`SELECT state, pause_reason FROM campaigns WHERE name = 'c'`))[0]).toMatchObject({ state: 'paused', pause_reason: expect.stringMatching(/daily_cap/) });
    } finally {
      await ws.close();
    }
  });

  it('Ctrl-C to one of two workers: it leaves, says the other continues, and the campaign stays sending until the other completes it', async () => {
    ses.clear();
    const ws = await pgWorkspace({ url: pgSignal!.url, n: 40, sesUrl: ses.url, concurrency: 2, rate: '10/s' });
    try {
      const campaign = async () => (await ws.query<{ state: string; pause_reason: string | null }>(`SELECT state, pause_reason FROM campaigns WHERE name = 'c'`))[0]!;
      const a = ws.worker();
      const b = ws.worker();
      await until('both workers to register and send', async () => (await ws.query('SELECT id FROM workers')).length === 2 && ses.receipts.length >= 4);
      a.child.kill('SIGINT');
      const ra = await a.done;
      expect(ra.code, ra.stderr).toBe(75);
      const sa = JSON.parse(ra.stdout) as Summary & { reason: string };
      expect(sa).toMatchObject({ state: 'sending', stop: 'interrupted' });
      expect(sa.reason).toMatch(/1 other worker still sends "c"/);
      expect(ra.stderr).toMatch(/1 other worker still sends/);
      expect(ra.stderr).not.toMatch(/run again|still pending/);
      // B is still at work: the campaign is still sending, and `status` says so
      expect((await ws.query('SELECT id FROM workers')).length).toBe(1);
      expect(await campaign()).toMatchObject({ state: 'sending', pause_reason: null });
      expect(JSON.parse(ws.cli(['campaign', 'status', 'c', '--json']).stdout)).toMatchObject({ state: 'sending' });

      const rb = await b.done;
      expect(rb.code, rb.stderr).toBe(0);
      expect(JSON.parse(rb.stdout)).toMatchObject({ state: 'completed', stop: 'completed' });
      expect((await campaign()).state).toBe('completed');
      expect(ses.receipts).toHaveLength(40);
      expect(new Set(ses.receipts.flatMap((r) => r.to)).size).toBe(40);
    } finally {
      await ws.close();
    }
  });

  it('campaign cancel: once it returns, the workers hand the provider at most the requests they had in flight (one claim batch each)', async () => {
    ses.clear();
    const CONCURRENCY = 2;
    // heartbeats every 5 s (the default expiry): a cancel noticed only there would let ~100 more out at 20/s
    const ws = await pgWorkspace({ url: pgCancel!.url, n: 300, sesUrl: ses.url, concurrency: CONCURRENCY, rate: '20/s', workerTtlS: 30 });
    try {
      const workers = [ws.worker(), ws.worker()];
      await until('both workers to register and send', async () => (await ws.query('SELECT id FROM workers')).length === 2 && ses.receipts.length >= 6);
      // async: the fake SES runs in this process and must go on answering meanwhile
      const cancel = await runCliAsync(['campaign', 'cancel', 'c', '--yes'], { cwd: ws.dir, env: ws.env });
      expect(cancel.code, cancel.stderr).toBe(0);
      expect(cancel.stdout).toBe('cancelled c: a running send stops claiming at its next claim, within 5 s at the latest (its next heartbeat); requests already in flight finish\n');
      const atCancel = ses.receipts.length;
      const runs = await Promise.all(workers.map((w) => w.done));
      for (const r of runs) expect(JSON.parse(r.stdout)).toMatchObject({ state: 'cancelled', stop: 'cancelled' });
      expect(ses.receipts.length - atCancel).toBeLessThanOrEqual(workers.length * CONCURRENCY);
      expect((await ws.query<{ state: string }>(`SELECT state FROM campaigns WHERE name = 'c'`))[0]!.state).toBe('cancelled');
      expect((await ws.states()).sending ?? 0).toBe(0);
    } finally {
      await ws.close();
    }
  });
});
