/**
 * `mkt serve` against what an attacker or a broken client sends: malformed targets, bad
 * percent-encoding, oversized chunked bodies, log injection, and a seeded fuzz run of thousands
 * of random requests. The server is the built CLI in its own process: a crash is a dead process.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UnsubscribeTokens } from '../../src/compliance/tokens.js';
import { complianceWorkspace, UNSUB_SECRET, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { rawHttp, startServe, statusOf, type ServeProcess } from '../support/serve-process.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-feedback';
const META_SECRET = 'meta-app-secret-for-hardening';

let ws: ComplianceWorkspace;
let serve: ServeProcess;
let token = '';

beforeAll(async () => {
  ws = complianceWorkspace({
    customers: 'external_id,email,email_opt_in\na,ana@example.org,yes\n',
    // a proxy serves mkt under /mkt: the public unsubscribe URLs are /mkt/u/<token>
    mktYaml: `unsubscribe:
  base_url: https://mkt.example.com/mkt/u/
  secret: \${MKT_UNSUBSCRIBE_SECRET}
feedback:
  ses: { topic_arns: [ "${TOPIC}" ] }
  twilio: { auth_token: "\${TW_AUTH}" }
  meta: { app_secret: "\${META_SECRET}", verify_token: "\${META_VERIFY}" }
`,
  });
  const id = ws.query<{ id: number }>('SELECT id FROM customers')[0]!.id;
  token = new UnsubscribeTokens({ keyId: 'k1', secret: UNSUB_SECRET }).sign({ campaignId: 1, customerId: id, channel: 'email' });
  serve = await startServe(ws.dir, { ...ws.env, META_SECRET, TW_AUTH: 'twilio-token-for-hardening', META_VERIFY: 'verify' });
}, 60_000);

afterAll(async () => {
  await serve?.stop();
  ws?.cleanup();
});

const healthy = async () => (await fetch(`${serve.base}/healthz`)).status === 200;
const get = (target: string) => rawHttp(serve.port, `GET ${target} HTTP/1.1\r\nhost: x\r\nconnection: close\r\n\r\n`);

describe('mkt serve: malformed requests', () => {
  it.each(['//', '///', '//a:b', '//[', '//a:b/u/x', '/\\\\', '//%'])('answers GET %s and stays up', async (target) => {
    const status = statusOf(await get(target));
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(await healthy()).toBe(true);
    expect(serve.exited()).toBe(false);
  });

  it('bad percent-encoding in a token is 400, not 500', async () => {
    expect(statusOf(await get('/u/%E0%A4%A'))).toBe(400);
    expect(statusOf(await rawHttp(serve.port, 'POST /u/%E0%A4%A HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n'))).toBe(400);
  });

  it('a chunked body over 256 KiB gets 413, not a reset', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${serve.base}/u/${token}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      req.on('error', reject);
      const chunk = Buffer.alloc(16 * 1024, 'a');
      for (let i = 0; i < 20; i++) req.write(chunk); // 320 KiB, no content-length: chunked
      req.end();
    });
    expect(status).toBe(413);
    expect(ws.query('SELECT 1 FROM suppressions')).toEqual([]);
    expect(await healthy()).toBe(true);
  });
});

describe('mkt serve: the confirm page', () => {
  it("posts to the token URL under unsubscribe.base_url's own path (proxy prefix)", async () => {
    const page = await (await fetch(`${serve.base}/u/${token}`)).text();
    expect(page).toContain(`<form method="post" action="/mkt/u/${token}">`);
  });
});

describe('mkt serve: logs', () => {
  it('never hold a full token, and request text cannot forge a line', async () => {
    await fetch(`${serve.base}/u/${token}`, { method: 'POST', body: 'not=one-click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await fetch(`${serve.base}/u/${token}/more`);
    const forged = 'https://sns.example/?x\n2026-01-01T00:00:00.000Z unsubscribed customer 1 from email';
    const sub = { Type: 'SubscriptionConfirmation', TopicArn: TOPIC, Message: 'hi', MessageId: 'm', SubscribeURL: forged, Token: 't' };
    expect((await fetch(`${serve.base}/feedback/ses`, { method: 'POST', body: JSON.stringify(sub) })).status).toBe(200);
    await fetch(`${serve.base}/nowhere\r`, { method: 'POST' }).catch(() => undefined);
    await rawHttp(serve.port, 'POST /u/a\x1b[31mred HTTP/1.1\r\nhost: x\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    await new Promise((r) => setTimeout(r, 200)); // let the log lines arrive
    const log = serve.log();
    const [payload, mac] = token.split('.') as [string, string];
    expect(log).not.toContain(mac);
    expect(log).not.toContain(payload);
    expect(log).toMatch(/\/u\/#[0-9a-f]{10}/);
    expect(log).toContain('open this URL once to confirm: https://sns.example/?x\\x0a2026-01-01T00:00:00.000Z unsubscribed');
    // every line the server wrote starts with its own timestamp: none was forged
    for (const line of log.trimEnd().split('\n')) expect(line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z /);
    expect(log).not.toContain('\x1b');
  });
});

/** Seeded PRNG (mulberry32): the same seed sends the same requests. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const bytes = (n: number) => {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = int(256);
    return b;
  };
  return { next, int, pick, bytes };
}

const METHODS = ['GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'HEAD', 'OPTIONS', 'PATCH', 'CONNECT', 'PROPFIND'];
const ODD_METHODS = ['G\x00T', 'get', '', 'X'.repeat(40)];
const ROUTES = ['/healthz', '/u/', '/feedback/ses', '/feedback/meta', '/feedback/twilio/status', '/feedback/twilio/inbound', '/feedback/twilio/status?d=c1_r1_a1', '/feedback/meta?hub.mode=subscribe&hub.challenge=x'];
const PIECES = ['', 'u', 'feedback', 'ses', 'meta', 'twilio', 'status', 'healthz', '%', '%E0%A4%A', '%zz', '%00', '%2F', '[', ']', ':', '@', '?', '#', '..', '.', 'a:b', 'x.y', '?d=c1_r1_a1'];
const ODD_PIECES = [' ', '\x7f', '€', '\\', '\x01'];
const HEADERS = ['content-type', 'x-twilio-signature', 'x-hub-signature-256', 'expect', 'accept', 'cookie'];
const ODD_HEADERS = ['x\x01', 'bad header', 'content-length', 'transfer-encoding'];
const VALUES = ['', 'application/json', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'sha256=00', '100-continue', 'close', '-1', '99999999999', 'é'];
const BODIES = ['List-Unsubscribe=One-Click', '{}', '[]', 'null', `{"TopicArn":"${TOPIC}","Type":"Notification","Message":"{}"}`, '{"object":"whatsapp_business_account","entry":[]}', 'Body=STOP&From=%2B1', '--x\r\ncontent-disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--x--'];

function randomRequest(r: ReturnType<typeof prng>, token: string): Buffer {
  const odd = (p: number) => r.next() < p;
  const method = odd(0.03) ? r.pick(ODD_METHODS) : r.pick(METHODS);
  const pieces = Array.from({ length: r.int(4) }, () => (odd(0.05) ? r.pick(ODD_PIECES) : r.pick(PIECES)));
  const start = odd(0.5) ? r.pick(ROUTES) : odd(0.3) ? `/u/${odd(0.5) ? token : token.slice(0, r.int(token.length))}` : '/';
  const target = (odd(0.02) ? '' : start) + pieces.join(odd(0.5) ? '/' : '');
  const headers = Array.from({ length: r.int(4) }, () => `${odd(0.05) ? r.pick(ODD_HEADERS) : r.pick(HEADERS)}: ${r.pick(VALUES)}`);
  const size = r.pick([0, 0, 1, 100, 2048, 256 * 1024, 256 * 1024 + 1, 300 * 1024]);
  const body = odd(0.4) ? Buffer.from(r.pick(BODIES)) : r.bytes(size);
  // the framing is right (or the parser rejects it): a request never leaves the server waiting for bytes
  const chunked = odd(0.3);
  const framing = chunked ? 'transfer-encoding: chunked' : `content-length: ${body.length}`;
  const payload = chunked ? Buffer.concat([body.length ? Buffer.from(`${body.length.toString(16)}\r\n`) : Buffer.alloc(0), body, Buffer.from(body.length ? '\r\n0\r\n\r\n' : '0\r\n\r\n')]) : body;
  const head = `${method} ${target} HTTP/1.1\r\nhost: 127.0.0.1\r\n${headers.map((h) => h + '\r\n').join('')}${framing}\r\nconnection: close\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

describe('mkt serve: fuzz', () => {
  it('answers every one of 3,000 seeded random requests without a 5xx, and /healthz stays up', async () => {
    const r = prng(12);
    const failures: string[] = [];
    const seen = new Set<number>();
    const N = 3000;
    const CONCURRENCY = 12;
    let sent = 0;
    const worker = async () => {
      while (sent < N) {
        const i = sent++;
        const request = randomRequest(r, token);
        const status = statusOf(await rawHttp(serve.port, request));
        seen.add(status ?? 0);
        if (status === undefined || status >= 500) failures.push(`#${i} → ${status ?? 'no answer'}: ${JSON.stringify(request.toString('latin1').slice(0, 200))}`);
        if (i % 500 === 0 && !(await healthy())) failures.push(`#${i}: /healthz down`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    expect(failures.slice(0, 10)).toEqual([]);
    // the run reached the handlers, not only node's parser
    for (const s of [200, 400, 403, 404, 405, 413]) expect(seen).toContain(s);
    expect(await healthy()).toBe(true);
    expect(serve.exited()).toBe(false);
    expect(serve.log()).not.toMatch(/TypeError|RangeError|at .*\.js:\d+/);
  }, 120_000);
});
