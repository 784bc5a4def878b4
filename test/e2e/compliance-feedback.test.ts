import { afterEach, describe, expect, it } from 'vitest';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';

let ws: ComplianceWorkspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

const CUSTOMERS = `external_id,email,phone,country,email_opt_in,sms_opt_in,whatsapp_opt_in,first_name
a,ana@example.org,+447911100001,GB,yes,yes,yes,Ana
b,ben@example.org,+447911100002,GB,yes,yes,yes,Ben
c,cy@example.org,+447911100003,GB,yes,yes,yes,Cy
d,dee@example.org,+447911100004,GB,yes,no,no,Dee
`;

interface Row {
  id: number;
  address: string;
  provider_message_id: string;
  delivery_status: string | null;
  state: string;
  campaign_id: number;
}

function sendCampaign(w: ComplianceWorkspace, name: string, channel: string, segment: string, provider: string, template: string): Row[] {
  expect(w.cli(['campaign', 'create', '--name', name, '--channel', channel, '--segment', segment, '--provider', provider, '--template', template]).code).toBe(0);
  const prep = w.cli(['campaign', 'prepare', name]);
  expect(prep.code, prep.stderr).toBe(0);
  const sent = w.cli(['campaign', 'send', name, '--yes']);
  expect(sent.code, sent.stderr).toBe(0);
  return w.query<Row>('SELECT r.* FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = ? ORDER BY r.id', name);
}

const ref = (r: Row) => `c${r.campaign_id}_r${r.id}_a1`;
const sns = (message: unknown) => ({
  Type: 'Notification',
  MessageId: 'sns-1',
  TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses-feedback',
  Message: JSON.stringify(message),
  Timestamp: '2026-06-01T12:00:00.000Z',
});
const mail = (r: Row, byTag = false) => ({
  messageId: byTag ? 'not-in-the-ledger' : r.provider_message_id,
  destination: [r.address],
  tags: { campaign: ['news'], delivery: [ref(r)] },
  timestamp: '2026-06-01T11:59:00.000Z',
});
const delivery = (w: ComplianceWorkspace) => Object.fromEntries(w.query<{ address: string; delivery_status: string | null }>('SELECT address, delivery_status FROM campaign_recipients').map((r) => [r.address, r.delivery_status]));
const suppressions = (w: ComplianceWorkspace) => w.query<{ channel: string; address: string; reason: string }>('SELECT channel, address, reason FROM suppressions ORDER BY channel, address');

describe('feedback import: replayed provider payloads', { timeout: 120_000 }, () => {
  it('SES: delivery, permanent / transient bounce, complaint → ledger and suppressions; status shows rates and warns', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: UNSUBSCRIBE_YAML });
    const rows = sendCampaign(ws, 'news', 'email', 'all-email', 'outbox', 'news');
    expect(rows).toHaveLength(4);
    const [ana, ben, cy, dee] = rows as [Row, Row, Row, Row];
    const events = [
      sns({ eventType: 'Delivery', mail: mail(ana), delivery: { timestamp: '2026-06-01T12:00:01.000Z', recipients: [ana.address] } }),
      { source: 'ses', payload: sns({ eventType: 'Bounce', mail: mail(ben, true), bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: 'Ben@Example.org' }], timestamp: '2026-06-01T12:00:02.000Z' } }) },
      sns({ eventType: 'Bounce', mail: mail(cy), bounce: { bounceType: 'Transient', bounceSubType: 'MailboxFull', bouncedRecipients: [{ emailAddress: cy.address }] } }),
      // a bare SES event (SQS raw delivery), identity-notification style
      { notificationType: 'Complaint', mail: mail(dee), complaint: { complainedRecipients: [{ emailAddress: dee.address }], complaintFeedbackType: 'abuse' } },
    ];
    ws.write('ses.jsonl', events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const r = ws.cli(['feedback', 'import', 'ses.jsonl', '--source', 'ses', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ read: 4, events: 4, matched: 4, unmatched: 0, suppressed: 2 });
    expect(delivery(ws)).toEqual({ [ana.address]: 'delivered', [ben.address]: 'bounced', [cy.address]: 'deferred', [dee.address]: 'complained' });
    expect(suppressions(ws)).toEqual([
      { channel: 'email', address: 'ben@example.org', reason: 'bounced' },
      { channel: 'email', address: 'dee@example.org', reason: 'complained' },
    ]);
    expect(ws.query<{ n: number }>('SELECT count(*) AS n FROM feedback_events')[0]!.n).toBe(4);

    // replaying the same file changes nothing more (idempotent)
    const again = JSON.parse(ws.cli(['feedback', 'import', 'ses.jsonl', '--source', 'ses', '--json']).stdout);
    expect(again).toMatchObject({ suppressed: 0, delivery: {} });

    const status = ws.cli(['campaign', 'status', 'news', '--json']);
    expect(status.code).toBe(0);
    const s = JSON.parse(status.stdout);
    expect(s.delivery).toEqual({ delivered: 1, bounced: 1, deferred: 1, complained: 1 });
    expect(s.delivery_rates).toEqual({ delivered: 0.5, bounced: 0.25, complained: 0.25, read: 0 });
    expect(s.warnings.join('\n')).toMatch(/bounced rate 25\.00%.*SES may pause/);
    expect(s.warnings.join('\n')).toMatch(/complained rate 25\.00%/);
    expect(status.stderr).toMatch(/warning: bounced rate/);
  });

  it('a bad event fails the whole import with file:line, exit 65, nothing applied', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS });
    const [ana] = sendCampaign(ws, 'flash', 'sms', 'all-sms', 'outbox-sms', 'hello') as [Row];
    const lines = [
      JSON.stringify({ source: 'twilio', payload: { MessageSid: ana.provider_message_id, MessageStatus: 'delivered', To: ana.address } }),
      JSON.stringify({ source: 'twilio', payload: { MessageSid: 'SMin', From: ana.address, Body: 'STOP' } }),
      '',
      JSON.stringify({ source: 'carrier-pigeon', payload: {} }),
      JSON.stringify({ source: 'twilio', payload: { Foo: 1 } }),
    ];
    ws.write('bad.jsonl', lines.join('\n') + '\n');
    const r = ws.cli(['feedback', 'import', 'bad.jsonl']);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('bad.jsonl:4: source "carrier-pigeon" must be ses, twilio, meta');
    expect(r.stderr).toContain('bad.jsonl:5: not a twilio feedback payload');
    expect(suppressions(ws)).toEqual([]);
    expect(delivery(ws)[ana.address]).toBeNull();
    expect(ws.query<{ n: number }>('SELECT count(*) AS n FROM feedback_events')[0]!.n).toBe(0);
  });

  it('Twilio: status callbacks by SID or delivery ref, STOP suppresses, START lifts only a keyword opt-out', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS });
    const [ana, ben, cy] = sendCampaign(ws, 'flash', 'sms', 'all-sms', 'outbox-sms', 'hello') as [Row, Row, Row];
    ws.cli(['suppress', 'add', '+447911100004', '--channel', 'sms', '--reason', 'manual']);
    const events = [
      { source: 'twilio', payload: { MessageSid: ana.provider_message_id, MessageStatus: 'delivered', To: ana.address } },
      { source: 'twilio', url: `https://hooks.example.com/feedback/twilio/status?d=${ref(ben)}`, payload: { MessageSid: 'SM-not-ours', MessageStatus: 'undelivered', ErrorCode: '30003', To: ben.address } },
      { source: 'twilio', payload: { MessageSid: 'SMin1', From: cy.address, To: '+15550000001', Body: ' stop ' } },
      { source: 'twilio', payload: { MessageSid: 'SMin2', From: 'whatsapp:+447911100001', To: 'whatsapp:+15550000002', Body: 'OPTOUT' } },
      { source: 'twilio', payload: { MessageSid: 'SMin3', From: '+447911100004', Body: 'START' } }, // manual: not lifted
      { source: 'twilio', payload: { MessageSid: 'SMin4', From: '+447911100002', Body: 'please stop' } }, // not a keyword
    ];
    ws.write('twilio.json', JSON.stringify(events, null, 2));
    const r = ws.cli(['feedback', 'import', 'twilio.json', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ events: 6, matched: 2, suppressed: 2, lifted: 0 });
    expect(delivery(ws)).toMatchObject({ [ana.address]: 'delivered', [ben.address]: 'undelivered' });
    expect(suppressions(ws)).toEqual([
      { channel: 'sms', address: '+447911100003', reason: 'stop_keyword' },
      { channel: 'sms', address: '+447911100004', reason: 'manual' },
      { channel: 'whatsapp', address: '+447911100001', reason: 'stop_keyword' },
    ]);
    ws.write('start.jsonl', JSON.stringify({ MessageSid: 'SMin5', From: cy.address, Body: 'Start' }) + '\n');
    expect(JSON.parse(ws.cli(['feedback', 'import', 'start.jsonl', '--source', 'twilio', '--json']).stdout)).toMatchObject({ lifted: 1 });
    expect(suppressions(ws).map((s) => s.address)).toEqual(['+447911100004', '+447911100001']);
  });

  it('Meta: statuses matched by biz_opaque_callback_data never downgrade; 131050 suppresses', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS });
    const [ana, ben] = sendCampaign(ws, 'promo', 'whatsapp', 'all-wa', 'outbox-wa', 'promo') as [Row, Row];
    const status = (r: Row, s: string, ts: number, extra: Record<string, unknown> = {}) => ({
      id: `wamid.${r.id}`,
      status: s,
      timestamp: String(ts),
      recipient_id: r.address.slice(1),
      biz_opaque_callback_data: ref(r),
      ...extra,
    });
    const hook = {
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'WABA',
          changes: [
            {
              field: 'messages',
              value: {
                messaging_product: 'whatsapp',
                statuses: [
                  status(ana, 'read', 1780315300),
                  status(ana, 'delivered', 1780315200), // arrives late: stays read
                  status(ben, 'failed', 1780315250, { errors: [{ code: 131050, title: 'User stopped marketing messages' }] }),
                ],
              },
            },
          ],
        },
      ],
    };
    ws.write('meta.json', JSON.stringify([{ source: 'meta', payload: hook }]));
    const r = ws.cli(['feedback', 'import', 'meta.json', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ events: 3, matched: 3, suppressed: 1 });
    expect(delivery(ws)).toMatchObject({ [ana.address]: 'read', [ben.address]: 'failed' });
    expect(suppressions(ws)).toEqual([{ channel: 'whatsapp', address: ben.address, reason: 'unsubscribed' }]);
    const at = ws.query<{ delivery_at: number }>('SELECT delivery_at FROM campaign_recipients WHERE id = ?', ana.id)[0]!.delivery_at;
    expect(at).toBe(1780315300 * 1000);
  });
});
