/**
 * Chaos scenarios: each sets up a workspace over a fake provider, attacks a real `mkt campaign
 * send` (signals, faults, a suppression or a lock arriving mid-run, a second sender), resumes
 * until the campaign is final, and returns the checker's report. Every random choice (kill
 * points, fault moments, lock length, which addresses get suppressed) comes from the seed, so a
 * failing run is repeated with `npm run test:chaos -- --seed N`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { startFakeSes } from '../fakes/ses.js';
import { startFakeTwilio } from '../fakes/twilio.js';
import { seededRandom, type FakeServer } from '../fakes/http.js';
import { BIN, cliEnv, ROOT, type CliResult } from '../support/cli.js';
import { TWILIO_TOKEN } from '../support/campaign-workspace.js';
import { check, type ChaosReport } from './checker.js';
import { chaosWorkspace, SES_KEY, type ChaosChannel, type ChaosWorkspace } from './workspace.js';

export interface ScenarioParams {
  seed: number;
  /** Crash / fault rounds per scenario. */
  rounds: number;
  /** Recipients per campaign. */
  n: number;
}

export interface Scenario {
  name: string;
  run(p: ScenarioParams): Promise<ChaosReport>;
}

type AnyFake = FakeServer<unknown>;

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error('chaos: timed out waiting');
    await wait(5);
  }
}

/** The address each accepted message went to, in the order the fake accepted them. */
function receivedAddresses(fake: AnyFake): string[] {
  return fake.receipts.map((r) => {
    const x = r as { to: string | string[] };
    return Array.isArray(x.to) ? x.to[0]! : x.to;
  });
}

async function setup(channel: ChaosChannel, p: ScenarioParams, opts: { concurrency: number; latency?: number; rate?: string; timeoutMs?: number }) {
  const fake = (channel === 'email' ? await startFakeSes({ seed: p.seed, accessKeyId: SES_KEY }) : await startFakeTwilio({ seed: p.seed, authToken: TWILIO_TOKEN })) as unknown as AnyFake;
  if (opts.latency) fake.inject({ type: 'latency', ms: opts.latency });
  // paced so that every send lasts a couple of seconds whatever the machine: faults injected
  // "mid-run" then really land mid-run
  const rate = opts.rate ?? `${Math.max(20, Math.ceil(p.n / 2))}/s`;
  const ws = chaosWorkspace({ channel, n: p.n, url: fake.url, concurrency: opts.concurrency, rate, timeoutMs: opts.timeoutMs });
  return { fake, ws, rnd: seededRandom(p.seed * 7919 + channel.length) };
}

/** A send in the background that the scenario may signal. */
function spawnSend(ws: ChaosWorkspace, extra: string[] = []): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, 'campaign', 'send', 'c', '--yes', '--json', ...extra], { cwd: ws.dir, env: cliEnv(ws.env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : 0), stdout, stderr })));
  child.stdin.end();
  return { child, done };
}

/** Sends (resuming) until the campaign has nothing left; returns the exit codes seen. */
async function finish(ws: ChaosWorkspace, extra: string[] = [], maxRuns = 8): Promise<number[]> {
  const codes: number[] = [];
  for (let i = 0; i < maxRuns; i++) {
    const r = await ws.send(extra);
    codes.push(r.code);
    if (r.code === 0 && (ws.states().pending ?? 0) === 0) return codes;
    if (r.code !== 0 && r.code !== 75) throw new Error(`chaos: resume exited ${r.code}: ${r.stderr}`);
  }
  return codes;
}

function report(name: string, p: ScenarioParams, ws: ChaosWorkspace, fake: AnyFake, maxUnknown: number): ChaosReport {
  return check(name, p.seed, receivedAddresses(fake), ws.query('SELECT address, state FROM campaign_recipients'), maxUnknown);
}

/** Runs a scenario body with a workspace and fake, always cleaning up. */
async function withSetup(
  channel: ChaosChannel,
  p: ScenarioParams,
  opts: Parameters<typeof setup>[2],
  body: (s: Awaited<ReturnType<typeof setup>>) => Promise<ChaosReport>,
): Promise<ChaosReport> {
  const s = await setup(channel, p, opts);
  try {
    return await body(s);
  } finally {
    s.ws.cleanup();
    await s.fake.close();
  }
}

/**
 * Repeated kill -9 and SIGTERM at seeded moments. A SIGTERM must end in exit 75 with nothing
 * left in `sending`; a kill -9 may leave at most what was claimed and not yet recorded
 * (concurrency in flight + one flush batch) as `unknown`.
 */
function crashes(channel: ChaosChannel): Scenario {
  return {
    name: `crash-${channel}`,
    run: (p) => {
      const concurrency = 6;
      return withSetup(channel, p, { concurrency, latency: 3 }, async ({ fake, ws, rnd }) => {
        let kills = 0;
        let terms = 0;
        const violations: string[] = [];
        for (let round = 0; round < p.rounds; round++) {
          const before = fake.receipts.length;
          const { child, done } = spawnSend(ws);
          const target = before + 10 + Math.floor(rnd() * Math.max(10, p.n / (p.rounds + 1)));
          const exited = await Promise.race([until(() => fake.receipts.length >= target).then(() => false), done.then(() => true)]);
          if (exited) break;
          const term = rnd() < 0.4;
          child.kill(term ? 'SIGTERM' : 'SIGKILL');
          const r = await done;
          if (term) {
            terms++;
            if (r.code !== 75 && r.code !== 0) violations.push(`SIGTERM round ${round}: exit ${r.code}, expected 75: ${r.stderr.slice(-300)}`);
            const sending = ws.states().sending ?? 0;
            if (sending !== 0) violations.push(`SIGTERM round ${round}: ${sending} row(s) left in sending`);
          } else kills++;
        }
        const codes = await finish(ws);
        const rep = report(`crash-${channel}`, p, ws, fake, kills * 2 * concurrency);
        rep.violations.push(...violations);
        rep.notes = { kills, terms, resumes: codes.length };
        return rep;
      });
    },
  };
}

/** Throttling storms: bursts of the vendor's 429 on most calls; everything still goes out exactly once. */
const throttleStorm: Scenario = {
  name: 'throttle-storm',
  run: (p) =>
    withSetup('email', p, { concurrency: 8, latency: 1 }, async ({ fake, ws, rnd }) => {
      const storms = Math.max(2, p.rounds);
      const running = ws.send();
      for (let i = 0; i < storms; i++) {
        await until(() => fake.receipts.length >= Math.floor(((i + 1) * p.n) / (storms + 2)) || fake.receipts.length >= p.n - 1);
        fake.inject({ type: 'throttle', times: 10 + Math.floor(rnd() * 40) });
      }
      const first = await running;
      const codes = [first.code, ...(first.code === 0 && (ws.states().pending ?? 0) === 0 ? [] : await finish(ws))];
      const rep = report('throttle-storm', p, ws, fake, 0);
      if (first.code !== 0 && first.code !== 75) rep.violations.push(`first run exited ${first.code}: ${first.stderr.slice(-300)}`);
      rep.notes = { storms, codes, throttled: fake.requests.length - fake.receipts.length };
      return rep;
    }),
};

/**
 * Timeouts after the provider accepted: those rows must end `unknown` (never `sent` without a
 * receipt, never sent twice), at most one per hanging request.
 */
const timeoutsAfterAccept: Scenario = {
  name: 'timeout-after-accept',
  run: (p) =>
    withSetup('sms', p, { concurrency: 6, latency: 2, timeoutMs: 300 }, async ({ fake, ws, rnd }) => {
      const hangs = 1 + Math.floor(rnd() * 3);
      const running = ws.send();
      await until(() => fake.receipts.length >= Math.floor(p.n / 3));
      fake.inject({ type: 'timeout-after-accept', times: hangs });
      const first = await running;
      const codes = [first.code, ...(first.code === 0 ? [] : await finish(ws))];
      const rep = report('timeout-after-accept', p, ws, fake, hangs);
      // an ambiguous outcome is recorded as such: each unknown row really was accepted here
      const received = new Set(receivedAddresses(fake));
      const notReceived = rep.unknown.filter((a) => !received.has(a));
      if (rep.unknown.length === 0) rep.violations.push('no timeout ended unknown: the fault was not exercised');
      if (notReceived.length) rep.violations.push(`unknown rows the fake never accepted: ${notReceived.join(', ')}`);
      rep.notes = { hangs, codes };
      return rep;
    }),
};

/**
 * 5xx mid-run: ambiguous, so `unknown` (bounded by the 5xx answered); `--retry-unknown` then
 * resends exactly those, and since the fake never accepted them, nothing is duplicated.
 */
const serverErrors: Scenario = {
  name: 'server-errors',
  run: (p) =>
    withSetup('email', p, { concurrency: 6, latency: 2 }, async ({ fake, ws, rnd }) => {
      const errors = 2 + Math.floor(rnd() * 5);
      const running = ws.send();
      await until(() => fake.receipts.length >= Math.floor(p.n / 4));
      fake.inject({ type: 'server-error', status: rnd() < 0.5 ? 500 : 503, times: errors });
      const first = await running;
      const afterFirst = report('server-errors', p, ws, fake, errors);
      const unknownAfterFirst = afterFirst.unknown.length;
      const codes = [first.code, ...(await finish(ws, ['--retry-unknown']))];
      const rep = report('server-errors', p, ws, fake, errors);
      if (unknownAfterFirst === 0) rep.violations.push('no 5xx ended unknown: the fault was not exercised');
      if (rep.unknown.length !== 0) rep.violations.push(`--retry-unknown left ${rep.unknown.length} unknown`);
      rep.notes = { errors, unknownAfterFirst, codes };
      return rep;
    }),
};

/** A fatal error mid-run pauses at once (exit 69, ≤ concurrency further requests); a resume after the fix completes. */
const fatalMidRun: Scenario = {
  name: 'fatal-mid-run',
  run: (p) => {
    const concurrency = 5;
    return withSetup('email', p, { concurrency, latency: 4 }, async ({ fake, ws, rnd }) => {
      const violations: string[] = [];
      const faults = ['auth', 'account'] as const;
      for (let round = 0; round < Math.min(p.rounds, 3); round++) {
        const before = fake.receipts.length;
        if (before >= p.n - 20) break;
        const running = ws.send();
        await until(() => fake.receipts.length >= before + 5 + Math.floor(rnd() * 20));
        const requestsAtFault = fake.requests.length;
        fake.inject({ type: faults[round % 2]! });
        const r = await running;
        const extra = fake.requests.length - requestsAtFault;
        if (r.code !== 69) violations.push(`round ${round}: exit ${r.code}, expected 69`);
        if (extra > concurrency) violations.push(`round ${round}: ${extra} requests after the fatal error (concurrency ${concurrency})`);
        const status = JSON.parse(ws.cli(['campaign', 'status', 'c', '--json']).stdout);
        if (status.state !== 'paused') violations.push(`round ${round}: campaign ${status.state}, expected paused`);
        fake.clearFaults();
        fake.inject({ type: 'latency', ms: 4 });
      }
      const codes = await finish(ws);
      const rep = report('fatal-mid-run', p, ws, fake, 0);
      rep.violations.push(...violations);
      rep.notes = { codes };
      return rep;
    });
  },
};

/**
 * A suppression committed while a send runs: every address that was still `pending` when the
 * suppression committed is never received and ends `skipped`. (A row already claimed —
 * `sending` — was handed to the provider before the suppression existed; that is reported,
 * not prevented.)
 */
const suppressionMidRun: Scenario = {
  name: 'suppression-mid-run',
  run: (p) =>
    withSetup('email', p, { concurrency: 6, latency: 3 }, async ({ fake, ws, rnd }) => {
      const Database = (await import('better-sqlite3')).default;
      const running = ws.send();
      await until(() => fake.receipts.length >= Math.floor(p.n / 4 + rnd() * (p.n / 4)));
      const db = new Database(ws.db);
      db.pragma('busy_timeout = 5000');
      // pick addresses across the list (some already sent, some pending) and suppress them in
      // one transaction that also reads their state: "pending at commit" is then exact
      const picks = Array.from({ length: 12 }, () => ws.addresses[Math.floor(rnd() * ws.addresses.length)]!);
      const pendingAtCommit = db.transaction(() => {
        const states = picks.map((a) => (db.prepare('SELECT state FROM campaign_recipients WHERE address = ?').get(a) as { state: string }).state);
        const ins = db.prepare("INSERT INTO suppressions (channel, address, reason, source, created_at) VALUES ('email', ?, 'manual', 'chaos', ?) ON CONFLICT DO NOTHING");
        for (const a of picks) ins.run(a, Date.now());
        return picks.filter((_, i) => states[i] === 'pending');
      }).immediate();
      const receivedAtCommit = fake.receipts.length;
      db.close();
      const first = await running;
      const rep = report('suppression-mid-run', p, ws, fake, 0);
      const after = new Set(receivedAddresses(fake).slice(receivedAtCommit));
      for (const a of new Set(pendingAtCommit)) {
        if (after.has(a)) rep.violations.push(`${a} received after its suppression committed`);
        const state = ws.query<{ state: string }>('SELECT state FROM campaign_recipients WHERE address = ?', a)[0]!.state;
        if (state !== 'skipped') rep.violations.push(`${a} suppressed while pending ended ${state}, expected skipped`);
      }
      if (first.code !== 0) rep.violations.push(`send exited ${first.code}: ${first.stderr.slice(-300)}`);
      if (pendingAtCommit.length === 0) rep.violations.push('no suppressed address was still pending: not exercised');
      rep.notes = { suppressed: new Set(picks).size, pendingAtCommit: new Set(pendingAtCommit).size };
      return rep;
    }),
};

/** Two `send`s of one campaign started close together: one sends, the other exits 75 (campaign_busy) or finds nothing left. */
const concurrentSenders: Scenario = {
  name: 'concurrent-senders',
  run: (p) =>
    withSetup('sms', p, { concurrency: 4, latency: 3 }, async ({ fake, ws, rnd }) => {
      const a = ws.send();
      await wait(Math.floor(rnd() * 150));
      const b = ws.send();
      const [ra, rb] = await Promise.all([a, b]);
      const rep = report('concurrent-senders', p, ws, fake, 0);
      const codes = [ra.code, rb.code].sort();
      const busy = [ra, rb].filter((r) => r.code === 75 && r.stderr.includes('campaign_busy')).length;
      if (!(codes[0] === 0 && (codes[1] === 75 || codes[1] === 0))) rep.violations.push(`exit codes ${codes.join(',')}`);
      if (codes[1] === 75 && busy !== 1) rep.violations.push('the loser did not report campaign_busy');
      rep.notes = { codes, busy };
      return rep;
    }),
};

/**
 * Another process holds the database's write lock (BEGIN IMMEDIATE) while a send runs. Up to
 * the CLI's busy_timeout (5 s) the send waits and carries on; a longer lock makes it stop
 * cleanly with exit 75 (`database_locked`), resumable: never a duplicate, never a broken ledger,
 * at most the in-flight rows `unknown`.
 */
function dbLocked(long: boolean): Scenario {
  const name = long ? 'db-locked-long' : 'db-locked';
  return {
    name,
    run: (p) => {
      const concurrency = 4;
      return withSetup('email', p, { concurrency, latency: 3 }, async ({ fake, ws, rnd }) => {
        const holdMs = long ? 6500 + Math.floor(rnd() * 1500) : 500 + Math.floor(rnd() * 2000);
        const running = ws.send();
        await until(() => fake.receipts.length >= Math.floor(p.n / 5));
        let receivedAtLock = -1;
        await holdWriteLock(ws.db, holdMs, () => (receivedAtLock = fake.receipts.length));
        const first = await running;
        const violations: string[] = [];
        if (receivedAtLock < 0 || receivedAtLock >= p.n) violations.push(`the lock was not taken while the send ran (received ${receivedAtLock}): not exercised`);
        if (!long && first.code !== 0) violations.push(`a ${holdMs} ms lock (below busy_timeout) made the send exit ${first.code}: ${first.stderr.slice(-400)}`);
        if (long && first.code !== 0) {
          if (first.code !== 75) violations.push(`a ${holdMs} ms lock made the send exit ${first.code}, expected 75: ${first.stderr.slice(-400)}`);
          else if (!first.stderr.includes('database_locked')) violations.push(`exit 75 without a database_locked error: ${first.stderr.slice(-400)}`);
        }
        const integrity = ws.query<{ integrity_check: string }>('PRAGMA integrity_check')[0]!.integrity_check;
        if (integrity !== 'ok') violations.push(`integrity_check: ${integrity}`);
        const codes = [first.code, ...(first.code === 0 ? [] : await finish(ws))];
        const rep = report(name, p, ws, fake, long ? 2 * concurrency : 0);
        rep.violations.push(...violations);
        rep.notes = { holdMs, receivedAtLock, codes };
        return rep;
      });
    },
  };
}

/** Holds a write transaction on `db` from a separate process for `ms` (`onLocked` once it holds it); resolves when released. */
function holdWriteLock(db: string, ms: number, onLocked: () => void): Promise<void> {
  const script = `
    const Database = require('better-sqlite3');
    const db = new Database(process.argv[1]);
    db.pragma('busy_timeout = 5000');
    db.exec('BEGIN IMMEDIATE');
    process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); }, Number(process.argv[2]));`;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script, db, String(ms)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    child.stdout.once('data', onLocked);
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`lock holder exited ${code}`))));
  });
}

export const SCENARIOS: Scenario[] = [
  crashes('sms'),
  crashes('email'),
  throttleStorm,
  timeoutsAfterAccept,
  serverErrors,
  fatalMidRun,
  suppressionMidRun,
  concurrentSenders,
  dbLocked(false),
  dbLocked(true),
];
