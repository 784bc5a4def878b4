/**
 * `mkt provider list / check / test` as a user runs them: the built CLI in its own process,
 * real files, the fake provider servers in this process.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, runCliAsync, tempWorkspace } from '../support/cli.js';
import { startFakeSes, type FakeSes } from '../fakes/ses.js';
import { FAKE_TWILIO_SID, startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';

const SECRET = 'canary-e2e-secret-5a6b7c8d';
let ses: FakeSes;
let twilio: FakeTwilio;
let ws: ReturnType<typeof tempWorkspace>;
const env = () => ({ T_SES_KEY: 'AKIDE2E000000001', T_SES_SECRET: SECRET, T_TWILIO_TOKEN: SECRET, MKT_NOW: '2026-03-01T10:00:00Z' });

beforeAll(async () => {
  ses = await startFakeSes({ accessKeyId: 'AKIDE2E000000001' });
  twilio = await startFakeTwilio({ authToken: SECRET });
  ws = tempWorkspace(true);
  const sample = readFileSync(path.join(ws.dir, 'providers.yaml'), 'utf8');
  writeFileSync(
    path.join(ws.dir, 'providers.yaml'),
    sample +
      `  - name: ses
    type: ses
    channel: email
    region: us-east-1
    endpoint: ${ses.url}
    access_key_id: \${T_SES_KEY}
    secret_access_key: \${T_SES_SECRET}
    rate: 14/s
    senders: [ "Acme <news@acme.example>" ]
  - name: twilio
    type: twilio
    channel: sms
    account_sid: ${FAKE_TWILIO_SID}
    auth_token: \${T_TWILIO_TOKEN}
    base_url: ${twilio.url}
    senders: [ "+14155550100" ]
`,
  );
});

afterAll(async () => {
  await ses?.close();
  await twilio?.close();
  ws?.cleanup();
});

describe('mkt provider', () => {
  it('list --json shows every provider with secrets masked, no environment needed', () => {
    const r = runCli(['provider', 'list', '--json'], { cwd: ws.dir });
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as Array<{ name: string; settings: Record<string, unknown>; env: string[] }>;
    expect(list.map((p) => p.name)).toEqual(['outbox', 'outbox-sms', 'outbox-whatsapp', 'ses', 'twilio']);
    expect(list[3]!.settings).toMatchObject({ access_key_id: '***', secret_access_key: '***', region: 'us-east-1' });
    expect(list[3]!.env).toEqual(['T_SES_KEY', 'T_SES_SECRET']);
    const human = runCli(['provider', 'list'], { cwd: ws.dir });
    expect(human.stdout).toMatch(/^name\s+type\s+channel\s+senders\s+rate/);
    expect(human.stdout).toContain('Acme News <news@m1.acme.example> ×2');
  });

  it('check makes the live read-only call (SES GetAccount: quota and max rate)', async () => {
    const r = await runCliAsync(['provider', 'check', 'ses', '--json'], { cwd: ws.dir, env: env() });
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ name: 'ses', config: 'valid', env: ['T_SES_KEY', 'T_SES_SECRET'], live: { available: true, ok: true, details: { maxSendRate: 14, max24HourSend: 50000 } } });
    expect(r.stderr).not.toContain('NodeVersionSupportWarning');
    expect(r.stdout + r.stderr).not.toContain(SECRET);
    expect(ses.receipts).toHaveLength(0);
  });

  it('check: a missing variable is 78 and named; rejected credentials are 69', async () => {
    const missing = await runCliAsync(['provider', 'check', 'twilio'], { cwd: ws.dir, env: { MKT_NOW: '2026-03-01T10:00:00Z' } });
    expect(missing.code).toBe(78);
    expect(missing.stderr).toMatch(/providers\.yaml:\d+:\d+: providers\[4\]\.auth_token: environment variable T_TWILIO_TOKEN is not set/);
    twilio.inject({ type: 'auth', times: 1 });
    const denied = await runCliAsync(['provider', 'check', 'twilio', '--json'], { cwd: ws.dir, env: env() });
    expect(denied.code).toBe(69);
    expect(JSON.parse(denied.stderr).error).toMatchObject({ code: 'provider_fatal', details: { kind: 'fatal', vendorCode: '20003', httpStatus: 401 } });
    expect(denied.stderr).not.toContain(SECRET);
  });

  it('test --text sends exactly one message and prints the provider message id', async () => {
    twilio.clear();
    const r = await runCliAsync(['provider', 'test', 'twilio', '--to', '+44 7911 123456', '--text', 'Hello from mkt'], { cwd: ws.dir, env: env() });
    expect(r.code).toBe(0);
    expect(twilio.receipts).toHaveLength(1);
    expect(r.stdout).toBe(`${twilio.receipts[0]!.sid}\n`);
    expect(twilio.receipts[0]).toMatchObject({ to: '+447911123456', from: '+14155550100', body: 'Hello from mkt' });
    expect(r.stderr).toContain('sent through twilio');
  });

  it('test --template renders the template and sends it through SES', async () => {
    ses.clear();
    const r = await runCliAsync(['provider', 'test', 'ses', '--to', 'ana@example.org', '--template', 'spring-sale', '--json'], { cwd: ws.dir, env: env() });
    expect(r.code).toBe(0);
    expect(ses.receipts).toHaveLength(1);
    const out = JSON.parse(r.stdout);
    expect(out.providerMessageId).toBe(ses.receipts[0]!.messageId);
    expect(ses.receipts[0]!.subject.length).toBeGreaterThan(0);
    expect(ses.receipts[0]!.headers.map((h) => h.Name)).toEqual(['List-Unsubscribe', 'List-Unsubscribe-Post']);
    expect(ses.receipts[0]!.tags).toEqual({ campaign: 'provider-test', delivery: out.deliveryRef });
  });

  it('test through the outbox writes the message file', () => {
    const r = runCli(['provider', 'test', 'outbox', '--to', 'ana@example.org', '--text', 'Hi', '--subject', 'Test'], { cwd: ws.dir, env: { MKT_NOW: '2026-03-01T10:00:00Z' } });
    expect(r.code).toBe(0);
    const dir = path.join(ws.dir, '.mkt/outbox/provider-test');
    const files = readdirSync(dir).filter((f) => f.endsWith('.eml'));
    expect(files).toHaveLength(1);
    expect(readFileSync(path.join(dir, files[0]!), 'utf8')).toContain(`Message-ID: <${r.stdout.trim()}@m1.acme.example>`);
  });

  it('usage and input errors: 64 for flags, 65 for an unknown provider, nothing sent', async () => {
    twilio.clear();
    const noBody = runCli(['provider', 'test', 'outbox', '--to', 'a@example.org'], { cwd: ws.dir });
    expect(noBody.code).toBe(64);
    expect(noBody.stderr).toContain('give either --template <name> or --text');
    const badTo = await runCliAsync(['provider', 'test', 'twilio', '--to', 'ana@example.org', '--text', 'x'], { cwd: ws.dir, env: env() });
    expect(badTo.code).toBe(64);
    const unknown = runCli(['provider', 'check', 'sess'], { cwd: ws.dir });
    expect(unknown.code).toBe(65);
    expect(unknown.stderr).toContain('(did you mean "ses"?)');
    expect(twilio.requests).toHaveLength(0);
    expect(existsSync(path.join(ws.dir, '.mkt/outbox/provider-test/messages.jsonl'))).toBe(false);
  });

  it('a recipient rejection is 65 with the vendor code; a literal secret in providers.yaml is 78', async () => {
    twilio.inject({ type: 'reject-recipients', recipients: ['+447911123456'], code: 21610 });
    const r = await runCliAsync(['provider', 'test', 'twilio', '--to', '+447911123456', '--text', 'x'], { cwd: ws.dir, env: env() });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('21610');
    twilio.clearFaults();
    const file = path.join(ws.dir, 'providers.yaml');
    const yaml = readFileSync(file, 'utf8');
    writeFileSync(file, yaml.replace('auth_token: ${T_TWILIO_TOKEN}', 'auth_token: plain-text-token'));
    try {
      const lit = runCli(['provider', 'list'], { cwd: ws.dir });
      expect(lit.code).toBe(78);
      expect(lit.stderr).toMatch(/providers\.yaml:\d+:17: providers\[4\]\.auth_token: a secret must be an \$\{ENV_VAR\} reference/);
      expect(lit.stderr).not.toContain('plain-text-token');
    } finally {
      writeFileSync(file, yaml);
    }
  });

  it('check on an account that answers but cannot send: the report on stdout, then a typed error (69, account_cannot_send) on stderr', async () => {
    const off = await startFakeSes({ accessKeyId: 'AKIDE2E000000001', account: { SendingEnabled: false } });
    const file = path.join(ws.dir, 'providers.yaml');
    const yaml = readFileSync(file, 'utf8');
    writeFileSync(file, yaml.replace(`endpoint: ${ses.url}`, `endpoint: ${off.url}`));
    try {
      const r = await runCliAsync(['provider', 'check', 'ses', '--json'], { cwd: ws.dir, env: env() });
      expect(r.code).toBe(69);
      expect(JSON.parse(r.stdout)).toMatchObject({ name: 'ses', live: { available: true, ok: false, details: { sendingEnabled: false } } });
      expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!).error).toMatchObject({ code: 'account_cannot_send', details: { provider: 'ses' } });
    } finally {
      writeFileSync(file, yaml);
      await off.close();
    }
  });

  it('test --to goes through the one address rule: control characters and an invalid number are 64, nothing written (was: accepted and sent)', () => {
    const box = path.join(ws.dir, '.mkt/outbox/provider-test');
    const files = () => (existsSync(box) ? readdirSync(box).sort() : []);
    const before = files();
    for (const [provider, to] of [
      ['outbox', 'ana\u0001@example.org'],
      ['outbox', 'ana@exa\u200bmple.org'],
      ['outbox-sms', '+4912345'],
      ['outbox-whatsapp', 'whatsapp:+4912345'],
    ] as const) {
      const r = runCli(['provider', 'test', provider, '--to', to, '--text', 'Hi', '--subject', 'Test'], { cwd: ws.dir, env: { MKT_NOW: '2026-03-01T10:00:00Z' } });
      expect(r.code, `${provider} ${JSON.stringify(to)}: ${r.stderr}`).toBe(64);
      expect(r.stderr).toContain('--to: ');
    }
    expect(files()).toEqual(before);
    // the canonical form is what is sent: a spaced national-looking E.164 number is accepted as +49…
    const ok = runCli(['provider', 'test', 'outbox-sms', '--to', '+49 1512 3456789', '--text', 'Hi'], { cwd: ws.dir, env: { MKT_NOW: '2026-03-01T10:00:00Z' } });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toContain('to +4915123456789');
    expect(files()).not.toEqual(before); // the same folder the refused ones would have written to
  });
});
