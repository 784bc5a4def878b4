import { generateKeyPairSync, sign } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metaSignature, snsStringToSign } from '../../src/compliance/feedback/signatures.js';
import { ROOT } from '../support/cli.js';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';

const CUSTOMERS = `external_id,email,phone,country,email_opt_in,sms_opt_in,whatsapp_opt_in,first_name
a,ana@example.org,+447911100001,GB,yes,yes,yes,Ana
b,ben@example.org,+447911100002,GB,yes,yes,yes,Ben
`;
const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-feedback';
const SECRETS = { TW_AUTH: 'twilio-auth-token-for-tests-42', META_SECRET: 'meta-app-secret-for-tests-42', META_VERIFY: 'verify-me-please' };
const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

let ws: ComplianceWorkspace;
let serve: ServeProcess;
let base = '';
let token = '';

const suppressions = () => ws.query<{ channel: string; address: string; reason: string }>('SELECT channel, address, reason FROM suppressions ORDER BY channel, address');

beforeAll(async () => {
  ws = complianceWorkspace({
    customers: CUSTOMERS,
    mktYaml:
      UNSUBSCRIBE_YAML +
      `feedback:
  ses: { topic_arns: [ "${TOPIC}" ], signing_cert: sns.pem }
  twilio: { auth_token: "\${TW_AUTH}" }
  meta: { app_secret: "\${META_SECRET}", verify_token: "\${META_VERIFY}" }
`,
  });
  ws.write('sns.pem', publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const created = ws.cli(['campaign', 'create', '--name', 'news', '--channel', 'email', '--segment', 'all-email', '--provider', 'outbox', '--template', 'news']);
  expect(created.code, created.stderr).toBe(0);
  const prepared = ws.cli(['campaign', 'prepare', 'news']);
  expect(prepared.code, prepared.stderr).toBe(0);
  const sent = ws.cli(['campaign', 'send', 'news', '--yes']);
  expect(sent.code, sent.stderr).toBe(0);
  const dir = path.join(ws.dir, '.mkt', 'outbox', 'news');
  const eml = readdirSync(dir)
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .find((t) => t.includes('To: ana@example.org'))!;
  const header = /List-Unsubscribe:([^]*?)\r?\n(?=\S)/.exec(eml)![1]!.replace(/\r?\n\s+/g, ' ').trim();
  expect(header).toMatch(/^<https:\/\/mkt\.example\.com\/u\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+>, <mailto:unsubscribe@shop\.example\.com\?subject=unsubscribe>$/);
  expect(eml).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
  token = /\/u\/([^>]+)>/.exec(header)![1]!;

  serve = await startServe(ws.dir, { ...ws.env, ...SECRETS });
  base = serve.base;
}, 120_000);

afterAll(async () => {
  await serve?.stop();
  ws?.cleanup();
});

const post = (p: string, body: string | Buffer, headers: Record<string, string> = {}) => fetch(base + p, { method: 'POST', body, headers, redirect: 'manual' });
const form = (params: Record<string, string>) => new URLSearchParams(params).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describe('mkt serve: one-click unsubscribe', () => {
  it('GET shows a confirm form and never unsubscribes', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`${base}/u/${token}`);
      expect(r.status).toBe(200);
      const page = await r.text();
      expect(page).toContain(`<form method="post" action="/u/${token}">`);
      expect(page).toContain('name="List-Unsubscribe" value="One-Click"');
    }
    expect(suppressions()).toEqual([]);
  });

  it('forged or tampered tokens get 4xx and change nothing', async () => {
    const [payload, mac] = token.split('.') as [string, string];
    const forged = [`${payload}.${'A'.repeat(mac.length)}`, `${payload.slice(0, -1)}B.${mac}`, `${token}x`, 'nothing', `${payload}`];
    for (const t of forged) {
      const r = await post(`/u/${encodeURIComponent(t)}`, 'List-Unsubscribe=One-Click', FORM);
      expect(r.status, t).toBeGreaterThanOrEqual(400);
      expect(r.status, t).toBeLessThan(500);
    }
    expect((await post(`/u/${token}`, 'something=else', FORM)).status).toBe(400);
    expect(suppressions()).toEqual([]);
  });

  it('POST List-Unsubscribe=One-Click suppresses with 200, idempotently, no redirect; multipart accepted', async () => {
    const r = await post(`/u/${token}`, 'List-Unsubscribe=One-Click', FORM);
    expect(r.status).toBe(200);
    expect(suppressions()).toEqual([{ channel: 'email', address: 'ana@example.org', reason: 'unsubscribed' }]);
    const fd = new FormData();
    fd.set('List-Unsubscribe', 'One-Click');
    const again = await fetch(`${base}/u/${token}`, { method: 'POST', body: fd, redirect: 'manual' });
    expect(again.status).toBe(200);
    expect(suppressions()).toHaveLength(1);
  });

  it('bodies over 256 KiB get 413', async () => {
    const r = await post(`/u/${token}`, Buffer.alloc(300 * 1024, 'a'), FORM);
    expect(r.status).toBe(413);
  });
});

describe('mkt serve: provider webhooks', () => {
  it('Twilio inbound STOP with a valid signature suppresses; a bad signature is 403 and changes nothing', async () => {
    const params = { MessageSid: 'SMx1', From: '+447911100002', To: '+15550000001', Body: 'STOP' };
    const url = `${base}/feedback/twilio/inbound`;
    const bad = await post('/feedback/twilio/inbound', form(params), { ...FORM, 'x-twilio-signature': twilio.getExpectedTwilioSignature('wrong-token', url, params) });
    expect(bad.status).toBe(403);
    expect((await post('/feedback/twilio/inbound', form(params), FORM)).status).toBe(403);
    expect(suppressions().filter((s) => s.channel === 'sms')).toEqual([]);
    const ok = await post('/feedback/twilio/inbound', form(params), { ...FORM, 'x-twilio-signature': twilio.getExpectedTwilioSignature(SECRETS.TW_AUTH, url, params) });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<Response></Response>');
    expect(suppressions()).toContainEqual({ channel: 'sms', address: '+447911100002', reason: 'stop_keyword' });
  });

  it('Twilio status callback carries the delivery ref in its URL', async () => {
    const row = ws.query<{ id: number; campaign_id: number }>("SELECT id, campaign_id FROM campaign_recipients WHERE address = 'ben@example.org'")[0]!;
    const p = `/feedback/twilio/status?d=c${row.campaign_id}_r${row.id}_a1`;
    const params = { MessageSid: 'SM-other', MessageStatus: 'delivered', To: 'ben@example.org' };
    const r = await post(p, form(params), { ...FORM, 'x-twilio-signature': twilio.getExpectedTwilioSignature(SECRETS.TW_AUTH, base + p, params) });
    expect(r.status).toBe(200);
    expect(ws.query<{ delivery_status: string }>('SELECT delivery_status FROM campaign_recipients WHERE id = ?', row.id)[0]!.delivery_status).toBe('delivered');
  });

  it("the sample providers.yaml's Twilio status_callback is a route mkt serve answers", async () => {
    const sample = readFileSync(path.join(ROOT, 'providers.yaml'), 'utf8');
    const callback = new URL(/status_callback:\s*(\S+)/.exec(sample)![1]!);
    const row = ws.query<{ id: number; campaign_id: number }>("SELECT id, campaign_id FROM campaign_recipients WHERE address = 'ben@example.org'")[0]!;
    const p = `${callback.pathname}?d=c${row.campaign_id}_r${row.id}_a1`;
    const params = { MessageSid: 'SM-sample', MessageStatus: 'delivered', To: 'ben@example.org' };
    const r = await post(p, form(params), { ...FORM, 'x-twilio-signature': twilio.getExpectedTwilioSignature(SECRETS.TW_AUTH, base + p, params) });
    expect(r.status, `POST ${callback.pathname}`).toBe(200);
  });

  it('Meta: hub.challenge with the verify token; signed status webhooks applied, unsigned refused', async () => {
    const q = (t: string) => `${base}/feedback/meta?hub.mode=subscribe&hub.verify_token=${t}&hub.challenge=1158201444`;
    expect(await (await fetch(q(SECRETS.META_VERIFY))).text()).toBe('1158201444');
    expect((await fetch(q('nope'))).status).toBe(403);
    const row = ws.query<{ id: number; campaign_id: number }>("SELECT id, campaign_id FROM campaign_recipients WHERE address = 'ana@example.org'")[0]!;
    const body = Buffer.from(
      JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ id: 'W', changes: [{ field: 'messages', value: { statuses: [{ id: 'wamid.1', status: 'read', timestamp: '1780315300', recipient_id: '447911100001', biz_opaque_callback_data: `c${row.campaign_id}_r${row.id}_a1` }] } }] }],
      }),
    );
    expect((await post('/feedback/meta', body, { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(body, 'wrong') })).status).toBe(403);
    expect(ws.query<{ delivery_status: string | null }>('SELECT delivery_status FROM campaign_recipients WHERE id = ?', row.id)[0]!.delivery_status).toBeNull();
    const ok = await post('/feedback/meta', body, { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(body, SECRETS.META_SECRET) });
    expect(ok.status).toBe(200);
    expect(ws.query<{ delivery_status: string }>('SELECT delivery_status FROM campaign_recipients WHERE id = ?', row.id)[0]!.delivery_status).toBe('read');
  });

  it('SES via SNS: topic pinned, signature checked against the pinned key, subscription URL logged not fetched', async () => {
    const envelope = (type: string, message: unknown, topic = TOPIC, extra: Record<string, string> = {}) => {
      const m: Record<string, string> = {
        Type: type,
        MessageId: 'm-1',
        TopicArn: topic,
        Message: typeof message === 'string' ? message : JSON.stringify(message),
        Timestamp: '2026-06-01T12:00:00.000Z',
        SignatureVersion: '2',
        SigningCertURL: 'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-x.pem',
        ...extra,
      };
      m.Signature = sign('sha256', Buffer.from(snsStringToSign(m)), privateKey).toString('base64');
      return m;
    };
    const bounce = { eventType: 'Bounce', mail: { messageId: 'x', tags: {} }, bounce: { bounceType: 'Permanent', bouncedRecipients: [{ emailAddress: 'ben@example.org' }] } };
    const other = envelope('Notification', bounce, 'arn:aws:sns:eu-west-1:123456789012:someone-else');
    expect((await post('/feedback/ses', JSON.stringify(other), { 'content-type': 'text/plain' })).status).toBe(403);
    const tampered = { ...envelope('Notification', bounce), Message: JSON.stringify({ ...bounce, bounce: { ...bounce.bounce, bouncedRecipients: [{ emailAddress: 'ana@example.org' }] } }) };
    expect((await post('/feedback/ses', JSON.stringify(tampered))).status).toBe(403);
    expect(suppressions().filter((s) => s.reason === 'bounced')).toEqual([]);

    const sub = envelope('SubscriptionConfirmation', 'You have chosen to subscribe', TOPIC, { SubscribeURL: 'https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc', Token: 'abc' });
    expect((await post('/feedback/ses', JSON.stringify(sub))).status).toBe(200);
    expect((await post('/feedback/ses', JSON.stringify(envelope('Notification', bounce)))).status).toBe(200);
    expect(suppressions()).toContainEqual({ channel: 'email', address: 'ben@example.org', reason: 'bounced' });
    await new Promise((r) => setTimeout(r, 100)); // let the server's log line arrive
    expect(serve.log()).toContain('open this URL once to confirm: https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&Token=abc');
    for (const s of Object.values(SECRETS)) expect(serve.log()).not.toContain(s);
    const stored = ws.query<{ payload: string }>('SELECT payload FROM feedback_events').map((r) => r.payload).join('\n');
    for (const s of Object.values(SECRETS)) expect(stored).not.toContain(s);
  });
});

describe('mkt serve: the log', () => {
  it('has one line per successful unsubscribe and webhook, without the token', async () => {
    await new Promise((r) => setTimeout(r, 100)); // let the server's log lines arrive
    const log = serve.log();
    expect(log).toMatch(/ 200 POST \/u\/#[0-9a-f]{10}: unsubscribed customer \d+ on email \(campaign \d+\)\n/);
    expect(log).toMatch(/ 200 POST \/feedback\/twilio\/inbound: twilio inbound: 1 event\(s\)\n/);
    // the GET confirm page is logged too, by its hash
    expect(log).toMatch(/ 200 GET \/u\/#[0-9a-f]{10}\n/);
    expect(log).not.toContain(token);
    expect(log).not.toContain(token.split('.')[0]!);
    expect(log).not.toContain('/healthz');
  });
});
