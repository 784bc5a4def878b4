/**
 * Opt-outs and provider events survive a busy database: another process holds the write lock
 * (BEGIN IMMEDIATE) for 10 s while 100 one-click POSTs and 100 webhooks arrive. Each is answered
 * 200 (spooled durably), /healthz stays fast throughout, and afterwards every suppression and
 * every event is in the database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metaSignature } from '../../src/compliance/feedback/signatures.js';
import { UnsubscribeTokens } from '../../src/compliance/tokens.js';
import { complianceWorkspace, UNSUB_SECRET, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';

const N = 100;
const LOCK_MS = 10_000;
const META_SECRET = 'meta-app-secret-for-durability';
const SQLITE = createRequire(import.meta.url).resolve('better-sqlite3');

let ws: ComplianceWorkspace;
let serve: ServeProcess;
let locker: ChildProcess | undefined;

beforeAll(async () => {
  const rows = Array.from({ length: N }, (_, i) => `c${i},user${i}@example.org,yes`).join('\n');
  ws = complianceWorkspace({
    customers: `external_id,email,email_opt_in\n${rows}\n`,
    mktYaml: UNSUBSCRIBE_YAML + `feedback:\n  meta: { app_secret: "\${META_SECRET}", verify_token: "\${META_VERIFY}" }\n`,
  });
  serve = await startServe(ws.dir, { ...ws.env, META_SECRET, META_VERIFY: 'v' });
}, 60_000);

afterAll(async () => {
  locker?.kill('SIGKILL');
  await serve?.stop();
  ws?.cleanup();
});

/** Another process takes the write lock and keeps it for `ms`; resolves once it holds it. */
function holdWriteLock(db: string, ms: number): Promise<{ released: Promise<void> }> {
  const script = `const D = require(${JSON.stringify(SQLITE)}); const db = new D(${JSON.stringify(db)}); db.pragma('busy_timeout = 5000');
    db.exec('BEGIN IMMEDIATE'); process.stdout.write('locked\\n');
    setTimeout(() => { db.exec('COMMIT'); db.close(); process.stdout.write('released\\n'); }, ${ms});`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  locker = child;
  return new Promise((resolve, reject) => {
    let out = '';
    const released = new Promise<void>((r) => child.on('exit', () => r()));
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('locked\n')) resolve({ released });
    });
    child.on('exit', (code) => reject(new Error(`locker exited ${code}`)));
  });
}

/**
 * Polls /healthz every 50 ms for `ms` from its own process (the burst of requests this test
 * sends must not delay the measurement); `samples` is [status, milliseconds] per request.
 */
async function pollHealth(url: string, ms: number): Promise<{ samples: Promise<Array<[number, number]>> }> {
  const script = `const http = require('node:http'); const end = Date.now() + ${ms}; const out = [];
    const once = () => new Promise((done) => { const t0 = performance.now();
      http.get(${JSON.stringify(url)}, { agent: false }, (r) => { r.resume(); r.on('end', () => done([r.statusCode, performance.now() - t0])); }).on('error', () => done([0, performance.now() - t0])); });
    (async () => { while (Date.now() < end) { out.push(await once()); if (out.length === 1) process.stdout.write('ready\\n'); await new Promise((r) => setTimeout(r, 50)); } process.stdout.write(JSON.stringify(out)); })();`;
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const samples = new Promise<Array<[number, number]>>((resolve, reject) =>
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(out.slice(out.indexOf('\n') + 1))) : reject(new Error(`poller exited ${code}`)))),
  );
  // polling already when the lock is taken and the burst starts
  await new Promise<void>((resolve) => child.stdout.on('data', () => out.includes('ready\n') && resolve()));
  return { samples };
}

const count = (sql: string) => ws.query<{ n: number }>(sql)[0]!.n;

describe('mkt serve: durable while the database is busy', () => {
  it('answers 100 one-click POSTs and 100 webhooks during a 10 s write lock, keeps /healthz fast, and loses none', async () => {
    const tokens = new UnsubscribeTokens({ keyId: 'k1', secret: UNSUB_SECRET });
    const ids = ws.query<{ id: number }>('SELECT id FROM customers ORDER BY id').map((r) => r.id);
    expect(ids).toHaveLength(N);

    // everything signed up front: the burst starts the moment the lock is held
    const oneClicks = ids.map((id) => `${serve.base}/u/${tokens.sign({ campaignId: 1, customerId: id, channel: 'email' })}`);
    const hooks = Array.from({ length: N }, (_, i) => {
      const body = Buffer.from(
        JSON.stringify({ object: 'whatsapp_business_account', entry: [{ id: 'W', changes: [{ field: 'messages', value: { statuses: [{ id: `wamid.d${i}`, status: 'delivered', timestamp: '1780315300', recipient_id: '447911100001' }] } }] }] }),
      );
      return { body, signature: metaSignature(body, META_SECRET) };
    });

    const health = await pollHealth(`${serve.base}/healthz`, LOCK_MS);
    const { released } = await holdWriteLock(ws.db, LOCK_MS);
    let locked = true;
    void released.then(() => (locked = false));
    const lockedAt = performance.now();

    const unsubscribes = oneClicks.map((url) =>
      fetch(url, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } }).then((r) => r.status),
    );
    const webhooks = hooks.map(({ body, signature }) =>
      fetch(`${serve.base}/feedback/meta`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature } }).then((r) => r.status),
    );
    const statuses = await Promise.all([...unsubscribes, ...webhooks]);
    const answeredWithin = performance.now() - lockedAt;

    // all answered 200 while the lock was still held: they were spooled, not waited for
    expect(statuses).toEqual(Array(2 * N).fill(200));
    expect(answeredWithin).toBeLessThan(LOCK_MS);
    expect(locked).toBe(true);
    expect(count('SELECT count(*) AS n FROM suppressions')).toBe(0);
    const spool = readdirSync(path.dirname(ws.db)).filter((f) => f.includes('-serve-spool.'));
    expect(spool).toHaveLength(1);
    expect(readFileSync(path.join(path.dirname(ws.db), spool[0]!), 'utf8').trimEnd().split('\n')).toHaveLength(2 * N);

    const healthz = await health.samples;
    await released;
    // replayed at the next chance
    const deadline = performance.now() + 15_000;
    while (count('SELECT count(*) AS n FROM suppressions') < N && performance.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(count("SELECT count(*) AS n FROM suppressions WHERE channel = 'email' AND reason = 'unsubscribed'")).toBe(N);
    expect(ws.query<{ address: string }>('SELECT address FROM suppressions ORDER BY address').map((r) => r.address)).toEqual(Array.from({ length: N }, (_, i) => `user${i}@example.org`).sort());
    expect(count("SELECT count(DISTINCT provider_message_id) AS n FROM feedback_events WHERE source = 'meta'")).toBe(N);
    expect(count('SELECT count(*) AS n FROM feedback_events')).toBe(N);
    expect(readFileSync(path.join(path.dirname(ws.db), spool[0]!), 'utf8')).toBe('');

    // /healthz answered within 100 ms throughout the lock
    expect(healthz.length).toBeGreaterThan(50);
    expect(healthz.filter(([status]) => status !== 200)).toEqual([]);
    expect(Math.max(...healthz.map(([, ms]) => ms))).toBeLessThan(100);
    expect(serve.log()).toContain(`replayed ${2 * N} spooled record(s) into the database`);
    // SIGTERM: a clean stop, and an empty spool is removed
    expect(await serve.stop()).toBe(0);
    expect(readdirSync(path.dirname(ws.db)).filter((f) => f.includes('-serve-spool.'))).toEqual([]);
  }, 60_000);
});
