import twilio from 'twilio';
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { complianceWorkspace, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';

const SID = 'AC' + '0123456789abcdef'.repeat(2);
const API_TOKEN = 'twilio-api-token-for-tests-1';
const HOOK_TOKEN = 'twilio-hook-token-for-tests-1';

let ws: ComplianceWorkspace | undefined;
let fake: FakeTwilio | undefined;
let server: ServeProcess | undefined;
afterEach(async () => {
  await server?.stop();
  await fake?.close();
  ws?.cleanup();
  ws = fake = server = undefined;
});

async function serve(w: ComplianceWorkspace, env: NodeJS.ProcessEnv): Promise<string> {
  server = await startServe(w.dir, { ...w.env, ...env });
  return server.base;
}

describe('Twilio round trip: fake Twilio → status callbacks through mkt serve behind a proxy', () => {
  it('records delivery, proves an unknown send was accepted, and a STOP reply keeps the number out of the next campaign', async () => {
    fake = await startFakeTwilio({ accountSid: SID, authToken: API_TOKEN });
    ws = complianceWorkspace({
      customers: 'external_id,phone,sms_opt_in,first_name\na,+447911100001,yes,Ana\nb,+447911100002,yes,Ben\nc,+447911100003,yes,Cy\n',
      providers: `providers:
  - name: tw
    type: twilio
    channel: sms
    account_sid: ${SID}
    auth_token: \${TW_API}
    base_url: ${fake.url}
    status_callback: https://hooks.example.com/feedback/twilio/status
    concurrency: 1
    senders: [ "+15550000001" ]
`,
      mktYaml: 'feedback:\n  twilio:\n    auth_token: ${TW_HOOK}\n    public_url: https://hooks.example.com\n',
    });
    const env = { TW_API: API_TOKEN, TW_HOOK: HOOK_TOKEN };
    expect(ws.cli(['campaign', 'create', '--name', 'flash', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'tw', '--template', 'hello'], env).code).toBe(0);
    expect(ws.cli(['campaign', 'prepare', 'flash'], env).code).toBe(0);
    // the first message is accepted by Twilio, but the connection drops before the answer: unknown
    fake.inject({ type: 'reset-after-accept', times: 1 });
    const sent = await ws.cliAsync(['campaign', 'send', 'flash', '--yes', '--json'], env);
    expect(sent.code, sent.stderr).toBe(0);
    expect(JSON.parse(sent.stdout)).toMatchObject({ sent: 2, unknown: 1 });
    expect(fake.receipts).toHaveLength(3);
    const rows = ws.query<{ id: number; address: string; state: string }>('SELECT id, address, state FROM campaign_recipients ORDER BY id');
    const unknown = rows.find((r) => r.state === 'unknown')!;
    expect(unknown).toBeDefined();

    const base = await serve(ws, env);
    for (const r of fake.receipts) {
      expect(r.statusCallback).toMatch(/^https:\/\/hooks\.example\.com\/feedback\/twilio\/status\?d=c\d+_r\d+_a1$/);
      const url = new URL(r.statusCallback!);
      const params = { MessageSid: r.sid, MessageStatus: 'delivered', To: r.to, AccountSid: SID };
      const res = await fetch(base + url.pathname + url.search, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(HOOK_TOKEN, r.statusCallback!, params) },
        body: new URLSearchParams(params).toString(),
      });
      expect(res.status).toBe(200);
    }
    const after = ws.query<{ id: number; state: string; delivery_status: string; provider_message_id: string }>('SELECT id, state, delivery_status, provider_message_id FROM campaign_recipients ORDER BY id');
    expect(after.map((r) => [r.state, r.delivery_status])).toEqual([
      ['sent', 'delivered'],
      ['sent', 'delivered'],
      ['sent', 'delivered'],
    ]);
    expect(after.find((r) => r.id === unknown.id)!.provider_message_id).toBe(fake.receipts.find((r) => r.to === unknown.address)!.sid);

    const stop = { MessageSid: 'SMin', From: '+447911100003', To: '+15550000001', Body: 'Stop' };
    const inbound = 'https://hooks.example.com/feedback/twilio/inbound';
    const res = await fetch(`${base}/feedback/twilio/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(HOOK_TOKEN, inbound, stop) },
      body: new URLSearchParams(stop).toString(),
    });
    expect(res.status).toBe(200);
    expect(ws.cli(['campaign', 'create', '--name', 'next', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'tw', '--template', 'hello'], env).code).toBe(0);
    const plan = JSON.parse(ws.cli(['campaign', 'prepare', 'next', '--json'], env).stdout);
    expect(plan).toMatchObject({ recipients: 2, excluded: { suppressed: 1 } });
  }, 90_000);
});
