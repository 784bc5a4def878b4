/**
 * Secret canaries: a unique fake secret in every place mkt takes one (SES access key id, secret
 * and session token; Twilio auth token; Meta access token; a module provider's api_token; the
 * unsubscribe secret and the webhook secrets of mkt.yaml), all through environment variables.
 * Then every kind of command runs — successes and failures, --json and --verbose, provider
 * list/check/test, sends against the fakes (one that fails fatally), status, report, feedback
 * import — and no canary may appear in stdout, stderr, the database, its WAL, outbox files or
 * reports (plain or base64).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeMeta, type FakeMeta } from '../fakes/meta.js';
import { startFakeSes, type FakeSes } from '../fakes/ses.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { startFakeWebhook } from '../fakes/webhook.js';
import type { FakeServer } from '../fakes/http.js';
import { ROOT, runCliAsync, tempWorkspace, type CliResult } from '../support/cli.js';
import { TWILIO_SID } from '../support/campaign-workspace.js';

const CANARY = {
  C_SES_KEY: 'AKIDCANARY7F3A9B21',
  C_SES_SECRET: 'canary-ses-secret-5d0c9e8b7a',
  C_SES_TOKEN: 'canary-ses-session-1b2c3d4e5f',
  C_TW_TOKEN: 'canary-twilio-token-8e7f6a5b4c',
  C_META_TOKEN: 'EAAGcanaryMetaToken9a8b7c6d',
  C_GW_TOKEN: 'canary-gateway-token-2f3e4d5c',
  MKT_UNSUBSCRIBE_SECRET: 'canary-unsubscribe-secret-0a1b2c3d4e5f',
  C_FB_TW: 'canary-feedback-twilio-6c5b4a39',
  C_FB_META_APP: 'canary-feedback-meta-app-7d6e5f40',
  C_FB_META_VERIFY: 'canary-feedback-meta-verify-8e7f6051',
  // mixed case: it also builds a provider's hostname, which a URL parser lower-cases
  C_HOST_TOKEN: 'CanaryHostToken7Q2W9E4R',
};
// every canary as is and in the forms it takes on the way out: case, URL-encoding, base64
const needles = Object.values(CANARY).flatMap((c) => [
  ...new Set([c, c.toLowerCase(), c.toUpperCase(), encodeURIComponent(c)]),
  Buffer.from(c).toString('base64').replace(/=+$/, ''),
  Buffer.from(c).toString('base64url'),
]);

let ws: ReturnType<typeof tempWorkspace>;
let ses: FakeSes;
let twilio: FakeTwilio;
let meta: FakeMeta;
let gateway: FakeServer<unknown>;
const outputs: Array<{ args: string[]; r: CliResult }> = [];

async function mkt(...args: string[]): Promise<CliResult> {
  const r = await runCliAsync(args, { cwd: ws.dir, env: CANARY, timeoutMs: 60_000 });
  outputs.push({ args, r });
  return r;
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((f) => {
    const p = path.join(dir, f);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

beforeAll(async () => {
  ses = await startFakeSes({ accessKeyId: CANARY.C_SES_KEY });
  twilio = await startFakeTwilio({ authToken: CANARY.C_TW_TOKEN });
  meta = await startFakeMeta({ accessToken: CANARY.C_META_TOKEN });
  gateway = (await startFakeWebhook({ token: CANARY.C_GW_TOKEN }));
  ws = tempWorkspace(true);
  const d = ws.dir;
  writeFileSync(
    path.join(d, 'providers.yaml'),
    readFileSync(path.join(d, 'providers.yaml'), 'utf8') +
      `  - name: ses
    type: ses
    channel: email
    region: us-east-1
    endpoint: ${ses.url}
    access_key_id: \${C_SES_KEY}
    secret_access_key: \${C_SES_SECRET}
    session_token: \${C_SES_TOKEN}
    senders: [ "Acme <news@acme.example>" ]
  - name: tw
    type: twilio
    channel: sms
    account_sid: ${TWILIO_SID}
    auth_token: \${C_TW_TOKEN}
    base_url: ${twilio.url}
    senders: [ "+14155550100" ]
  - name: wa
    type: meta-whatsapp
    channel: whatsapp
    access_token: \${C_META_TOKEN}
    base_url: ${meta.url}
    senders: [ "106540352242922" ]
  - name: gw
    type: module
    channel: sms
    module: ${path.join(ROOT, 'examples/providers/webhook-gateway.js')}
    options: { url: "${gateway.url}", api_token: "\${C_GW_TOKEN}" }
    senders: [ "+14155550101" ]
  - name: tw-host
    type: twilio
    channel: sms
    account_sid: ${TWILIO_SID}
    auth_token: \${C_HOST_TOKEN}
    base_url: http://\${C_HOST_TOKEN}.invalid:9
    senders: [ "+14155550102" ]
`,
  );
  writeFileSync(
    path.join(d, 'mkt.yaml'),
    `unsubscribe:
  base_url: http://127.0.0.1:9/u
  secret: \${MKT_UNSUBSCRIBE_SECRET}
feedback:
  twilio: { auth_token: "\${C_FB_TW}" }
  meta: { app_secret: "\${C_FB_META_APP}", verify_token: "\${C_FB_META_VERIFY}" }
`,
  );
  mkdirSync(path.join(d, 'segments'), { recursive: true });
  writeFileSync(path.join(d, 'segments', 'canary-email.yaml'), 'where:\n  email_opt_in: true\n');
  writeFileSync(path.join(d, 'segments', 'canary-sms.yaml'), 'where:\n  sms_opt_in: true\n');
  const rows = Array.from({ length: 6 }, (_, i) => `k${i},k${i}@example.org,+4915${String(20000000 + i).padStart(9, '0')},DE,yes,yes,Kai${i}`);
  writeFileSync(path.join(d, 'customers.csv'), ['external_id,email,phone,country,email_opt_in,sms_opt_in,first_name', ...rows].join('\n') + '\n');
  writeFileSync(path.join(d, 'events.json'), JSON.stringify([{ source: 'twilio', payload: { MessageSid: 'SM' + '0'.repeat(32), MessageStatus: 'delivered', To: '+4915020000000' } }]));

  // the commands a user runs, successes and failures, in every output mode
  await mkt('provider', 'list', '--json');
  await mkt('provider', 'list', '--verbose');
  for (const p of ['ses', 'tw', 'wa', 'gw']) {
    await mkt('provider', 'check', p, '--json');
    await mkt('provider', 'check', p, '--verbose');
  }
  await mkt('provider', 'test', 'ses', '--to', 'ana@example.org', '--template', 'spring-sale', '--json', '--verbose');
  await mkt('customers', 'import', 'customers.csv', '--json');
  await mkt('campaign', 'create', '--name', 'mail', '--channel', 'email', '--segment', 'canary-email', '--provider', 'ses', '--template', 'spring-sale');
  await mkt('campaign', 'prepare', 'mail', '--json');
  await mkt('campaign', 'send', 'mail', '--yes', '--json', '--verbose');
  await mkt('campaign', 'create', '--name', 'box', '--channel', 'email', '--segment', 'canary-email', '--provider', 'outbox', '--template', 'spring-sale');
  await mkt('campaign', 'prepare', 'box');
  await mkt('campaign', 'send', 'box', '--yes', '--verbose');
  await mkt('campaign', 'create', '--name', 'text', '--channel', 'sms', '--segment', 'canary-sms', '--provider', 'tw', '--template', 'flash-sale');
  await mkt('campaign', 'prepare', 'text');
  twilio.inject({ type: 'auth' });
  await mkt('campaign', 'send', 'text', '--yes', '--verbose');
  await mkt('campaign', 'send', 'text', '--yes', '--json');
  twilio.clearFaults();
  ses.inject({ type: 'auth' });
  await mkt('provider', 'check', 'ses', '--verbose');
  await mkt('provider', 'test', 'ses', '--to', 'ana@example.org', '--template', 'spring-sale', '--verbose');
  ses.clearFaults();
  // the secret ends up lower-cased in a hostname: getaddrinfo ENOTFOUND <secret>.invalid
  await mkt('provider', 'test', 'tw-host', '--to', '+4915020000000', '--template', 'flash-sale', '--verbose');
  await mkt('provider', 'test', 'tw-host', '--to', '+4915020000000', '--template', 'flash-sale', '--json');
  await mkt('campaign', 'status', 'mail', '--json');
  await mkt('campaign', 'status', 'text', '--verbose');
  await mkt('campaign', 'report', 'mail', '--format', 'csv', '--out', 'report.csv');
  await mkt('campaign', 'report', 'text', '--format', 'json', '--out', 'report.json');
  await mkt('feedback', 'import', 'events.json', '--json', '--verbose');
  await mkt('suppress', 'list', '--json');
  await mkt('campaign', 'send', '--due', '--yes', '--json', '--verbose');
  // a missing secret: the error names the variable, never a value
  await runCliAsync(['provider', 'check', 'tw', '--verbose'], { cwd: ws.dir, env: { ...CANARY, C_TW_TOKEN: '' } }).then((r) => outputs.push({ args: ['provider', 'check', 'tw', '(no token)'], r }));
}, 300_000);

afterAll(async () => {
  ws?.cleanup();
  await Promise.all([ses?.close(), twilio?.close(), meta?.close(), gateway?.close()]);
});

describe('secret canaries', () => {
  it('the commands really ran (sends went out, the fatal send failed, reports were written)', () => {
    expect(ses.receipts.length).toBeGreaterThanOrEqual(7); // provider test + 6 campaign messages
    expect(outputs.find((o) => o.args.join(' ') === 'campaign send text --yes --verbose')!.r.code).toBe(69);
    expect(existsSync(path.join(ws.dir, 'report.csv'))).toBe(true);
    expect(existsSync(path.join(ws.dir, 'report.json'))).toBe(true);
    expect(outputs.filter((o) => o.r.code !== 0).length).toBeGreaterThanOrEqual(3);
  });

  it('a secret inside a hostname: the DNS error is printed, with the hostname redacted', () => {
    const runs = outputs.filter((o) => o.args.slice(0, 3).join(' ') === 'provider test tw-host');
    expect(runs).toHaveLength(2);
    for (const { r } of runs) {
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/ENOTFOUND|EAI_AGAIN/);
      expect(r.stderr).toContain('***.invalid');
    }
  });

  it('never appear in stdout or stderr of any command', () => {
    const leaks = outputs.flatMap(({ args, r }) => needles.filter((n) => r.stdout.includes(n) || r.stderr.includes(n)).map((n) => `${args.join(' ')}: ${n}`));
    expect(leaks).toEqual([]);
  });

  it('never appear in the database, its WAL, outbox files or reports', () => {
    const files = [...filesUnder(path.join(ws.dir, '.mkt')), ...filesUnder(path.join(ws.dir, 'outbox')), path.join(ws.dir, 'report.csv'), path.join(ws.dir, 'report.json')];
    expect(files.some((f) => f.endsWith('mkt.db'))).toBe(true);
    expect(files.filter((f) => f.endsWith('.eml')).length).toBe(6); // the outbox campaign's messages
    const leaks = files.filter(existsSync).flatMap((f) => {
      const bytes = readFileSync(f);
      return needles.filter((n) => bytes.includes(n)).map((n) => `${path.relative(ws.dir, f)}: ${n}`);
    });
    expect(leaks).toEqual([]);
  });
});
