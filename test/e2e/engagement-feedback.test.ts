import { afterEach, describe, expect, it } from 'vitest';
import { emitMetaStatus, emitSesEvents, emitTwilioStatus, sesEvent, snsEnvelope } from '../fakes/events.js';
import { startFakeMeta, startFakeSes, startFakeTwilio, FAKE_TWILIO_SID, type FakeServer } from '../fakes/index.js';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ses-events';
const SECRETS = { SES_KEY: 'AKIDFAKE', SES_SECRET: 'fake-ses-secret-key', TW_API: 'twilio-api-token-1', TW_HOOK: 'twilio-hook-token-1', META_TOKEN: 'fake-meta-token', META_SECRET: 'meta-app-secret-1' };
const CUSTOMERS = `external_id,email,phone,country,email_opt_in,sms_opt_in,whatsapp_opt_in,first_name
a,ana@example.org,+447911100001,GB,yes,yes,yes,Ana
b,ben@example.org,+447911100002,GB,yes,yes,yes,Ben
`;

let ws: ComplianceWorkspace | undefined;
let serve: ServeProcess | undefined;
const fakes: Array<FakeServer<unknown>> = [];
afterEach(async () => {
  await serve?.stop();
  for (const f of fakes.splice(0)) await f.close();
  ws?.cleanup();
  ws = serve = undefined;
});

type Hourly = { kind: string; machine: number; link_id: number; count: number; unique_count: number };
const hourly = (w: ComplianceWorkspace) =>
  w.query<Hourly>('SELECT kind, machine, link_id, sum(count) AS count, sum(unique_count) AS unique_count FROM engagement_hourly GROUP BY kind, machine, link_id ORDER BY kind, machine, link_id');
const total = (rows: Hourly[], kind: string, machine = 0, link = 0) => rows.find((r) => r.kind === kind && r.machine === machine && r.link_id === link);

/** Async: the fake providers run in this process, so the send must not block its event loop. */
async function send(w: ComplianceWorkspace, name: string, channel: string, segment: string, provider: string, template: string): Promise<void> {
  expect(w.cli(['campaign', 'create', '--name', name, '--channel', channel, '--segment', segment, '--provider', provider, '--template', template], SECRETS).code).toBe(0);
  const prep = w.cli(['campaign', 'prepare', name], SECRETS);
  expect(prep.code, prep.stderr).toBe(0);
  const sent = await w.cliAsync(['campaign', 'send', name, '--yes'], SECRETS);
  expect(sent.code, sent.stderr).toBe(0);
}

describe('provider engagement: SES Open/Click over SNS, Twilio status callbacks, Meta read webhooks', { timeout: 180_000 }, () => {
  it('SES: opens and clicks count (a proxy open as machine, a second click not unique), ignored types are counted; feedback import says the same and counts a replay once', async () => {
    const ses = await startFakeSes({ accessKeyId: SECRETS.SES_KEY });
    fakes.push(ses);
    ws = complianceWorkspace({
      customers: CUSTOMERS,
      providers: `providers:
  - name: ses
    type: ses
    channel: email
    region: us-east-1
    endpoint: ${ses.url}
    access_key_id: \${SES_KEY}
    secret_access_key: \${SES_SECRET}
    senders: [ "News <news@shop.example.com>" ]
`,
      mktYaml: UNSUBSCRIBE_YAML + `feedback:\n  ses: { topic_arns: [ "${TOPIC}" ] }\n`,
    });
    await send(ws, 'news', 'email', 'all-email', 'ses', 'news');
    expect(ses.receipts).toHaveLength(2);
    const ana = ses.receipts.find((r) => r.to[0] === 'ana@example.org')!;
    const ben = ses.receipts.find((r) => r.to[0] === 'ben@example.org')!;
    serve = await startServe(ws.dir, { ...ws.env, ...SECRETS });
    const url = serve.base + '/feedback/ses';
    const shop = 'https://shop.example.com/sale';
    expect(
      await emitSesEvents(url, ana, [{ type: 'Delivery' }, { type: 'Open' }, { type: 'Click', link: shop }, { type: 'Click', link: shop, at: '2026-06-01T12:00:05.000Z' }], { topicArn: TOPIC }),
    ).toEqual([200, 200, 200, 200]);
    expect(await emitSesEvents(url, ben, [{ type: 'Delivery' }, { type: 'Open', userAgent: 'Mozilla/5.0 (Windows NT 5.1) (via ggpht.com GoogleImageProxy)' }, { type: 'Rendering Failure' }], { topicArn: TOPIC })).toEqual([200, 200, 200]);
    await serve.stop();
    serve = undefined;

    const rows = hourly(ws);
    expect(total(rows, 'delivered')).toMatchObject({ count: 2, unique_count: 2 });
    expect(total(rows, 'open')).toMatchObject({ count: 1, unique_count: 1 });
    expect(total(rows, 'open', 1)).toMatchObject({ count: 1, unique_count: 1 });
    expect(total(rows, 'click', 0, 0)).toMatchObject({ count: 2, unique_count: 1 });
    const link = ws.query<{ link_id: number; url: string }>('SELECT link_id, url FROM campaign_links');
    expect(link).toEqual([{ link_id: 1, url: shop }]);
    expect(total(rows, 'click', 0, 1)).toMatchObject({ count: 2, unique_count: 1 });

    // campaign status: each figure a count and a rate; the proxy open is machine, outside the rates
    const status = ws.cli(['campaign', 'status', 'news', '--json']);
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout).results).toMatchObject({
      sent: { count: 2, rate: 1 },
      delivered: { count: 2, rate: 1 },
      no_report: { count: 0, rate: 0 },
      unique_opens: { count: 1, rate: 0.5 },
      machine_opens: { count: 1, rate: 0.5 },
      unique_clicks: { count: 1, rate: 0.5 },
      machine_clicks: { count: 0 },
      total_clicks: 2,
      click_through: 0.5,
      click_to_open: 1,
      unsubscribes: { count: 0, rate: 0 },
    });
    const human = ws.cli(['campaign', 'status', 'news']).stdout;
    expect(human).toMatch(/unique opens \(human\)\s+1 \(50\.00%\)/);
    expect(human).toMatch(/click-through\s+50\.00%/);

    // the same events from a file: counted once (already applied live), the ignored type reported, not silent
    const file = ws.write(
      'events.jsonl',
      [sesEvent(ana, { type: 'Open', at: '2026-06-01T13:00:00.000Z' }), sesEvent(ben, { type: 'Rendering Failure' })].map((e) => JSON.stringify({ source: 'ses', payload: snsEnvelope(e, TOPIC) })).join('\n') + '\n',
    );
    const imported = ws.cli(['feedback', 'import', file, '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout)).toMatchObject({ events: 2, engagement: { open: 1 }, ignored: { 'ses Rendering Failure': 1 } });
    const again = ws.cli(['feedback', 'import', file, '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ engagement: {}, ignored: { 'ses Rendering Failure': 1 } });
    expect(total(hourly(ws), 'open')).toMatchObject({ count: 2, unique_count: 1 });
    const again2 = ws.cli(['feedback', 'import', file]);
    expect(again2.stdout).toMatch(/ignored ses Rendering Failure\s+1/);
  });

  it('Twilio status callbacks count as delivered engagement; a queued status is reported as ignored', async () => {
    const tw = await startFakeTwilio({ accountSid: FAKE_TWILIO_SID, authToken: SECRETS.TW_API });
    fakes.push(tw);
    ws = complianceWorkspace({
      customers: CUSTOMERS,
      providers: `providers:
  - name: tw
    type: twilio
    channel: sms
    account_sid: ${FAKE_TWILIO_SID}
    auth_token: \${TW_API}
    base_url: ${tw.url}
    status_callback: https://hooks.example.com/feedback/twilio/status
    senders: [ "+15550000001" ]
`,
      mktYaml: 'feedback:\n  twilio:\n    auth_token: ${TW_HOOK}\n    public_url: https://hooks.example.com\n',
    });
    await send(ws, 'flash', 'sms', 'all-sms', 'tw', 'hello');
    serve = await startServe(ws.dir, { ...ws.env, ...SECRETS });
    for (const r of tw.receipts) {
      expect(await emitTwilioStatus(serve.base, r, 'queued', { authToken: SECRETS.TW_HOOK, accountSid: FAKE_TWILIO_SID })).toBe(200);
      expect(await emitTwilioStatus(serve.base, r, 'delivered', { authToken: SECRETS.TW_HOOK, accountSid: FAKE_TWILIO_SID })).toBe(200);
    }
    const log = serve.log();
    await serve.stop();
    serve = undefined;
    expect(total(hourly(ws), 'delivered')).toMatchObject({ count: 2, unique_count: 2 });
    expect(log).toMatch(/ignored twilio queued 1/);
  });

  it('Meta read webhooks count as read engagement', async () => {
    const meta = await startFakeMeta({ accessToken: SECRETS.META_TOKEN });
    fakes.push(meta);
    ws = complianceWorkspace({
      customers: CUSTOMERS,
      providers: `providers:
  - name: wa
    type: meta-whatsapp
    channel: whatsapp
    access_token: \${META_TOKEN}
    base_url: ${meta.url}
    senders: [ "106540352242922" ]
`,
      mktYaml: 'feedback:\n  meta: { app_secret: "${META_SECRET}", verify_token: "${META_SECRET}" }\n',
    });
    await send(ws, 'promo', 'whatsapp', 'all-wa', 'wa', 'promo');
    expect(meta.receipts).toHaveLength(2);
    serve = await startServe(ws.dir, { ...ws.env, ...SECRETS });
    const url = serve.base + '/feedback/meta';
    for (const r of meta.receipts) expect(await emitMetaStatus(url, r, 'delivered', { appSecret: SECRETS.META_SECRET })).toBe(200);
    expect(await emitMetaStatus(url, meta.receipts[0]!, 'read', { appSecret: SECRETS.META_SECRET })).toBe(200);
    await serve.stop();
    serve = undefined;
    const rows = hourly(ws);
    expect(total(rows, 'delivered')).toMatchObject({ count: 2, unique_count: 2 });
    expect(total(rows, 'read')).toMatchObject({ count: 1, unique_count: 1 });
  });
});
