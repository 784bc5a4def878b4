import { afterEach, describe, expect, it } from 'vitest';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';

let ws: ComplianceWorkspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

const CUSTOMERS = `external_id,email,phone,country,email_opt_in,sms_opt_in,whatsapp_opt_in,first_name
a,ana@example.org,+447911100001,GB,yes,yes,yes,Ana
b,ben@example.org,+14155550123,US,yes,yes,yes,Ben
c,cy@example.org,+14155550124,US,yes,yes,yes,Cy
`;

const PRICED = `providers:
  - name: outbox
    type: outbox
    channel: email
    senders: [ "News <news@shop.example.com>" ]
    price: 0.0001
  - name: outbox-sms
    type: outbox
    channel: sms
    senders: [ "+15550000001" ]
    require_opt_out: true
    price: { default: 0.05, "+1": 0.01 }
  - name: outbox-wa
    type: outbox
    channel: whatsapp
    senders: [ "+15550000002" ]
`;

const create = (w: ComplianceWorkspace, name: string, channel: string, segment: string, provider: string, template: string) => {
  const r = w.cli(['campaign', 'create', '--name', name, '--channel', channel, '--segment', segment, '--provider', provider, '--template', template]);
  expect(r.code, r.stderr).toBe(0);
};

describe('pre-flight: campaign check and prepare', () => {
  it('refuses marketing email without an unsubscribe link or without mkt.yaml unsubscribe:, and prepare freezes nothing', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, providers: PRICED });
    ws.write('templates/email/bare.mjml', '---\nsubject: Hi\n---\n<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{ first_name }}</mj-text></mj-column></mj-section></mj-body></mjml>\n');
    create(ws, 'bare', 'email', 'all-email', 'outbox', 'bare');
    const r = ws.cli(['campaign', 'check', 'bare', '--json']);
    expect(r.code).toBe(65);
    const report = JSON.parse(r.stdout);
    expect(report.ok).toBe(false);
    expect(report.errors.map((e: { code: string }) => e.code)).toEqual(['no_unsubscribe_link', 'no_unsubscribe_config']);
    const prep = ws.cli(['campaign', 'prepare', 'bare']);
    expect(prep.code).toBe(65);
    expect(prep.stderr).toContain('no_unsubscribe_link');
    expect(ws.query<{ n: number }>('SELECT count(*) AS n FROM campaign_recipients')[0]!.n).toBe(0);
    expect(ws.query<{ state: string }>("SELECT state FROM campaigns WHERE name = 'bare'")[0]!.state).toBe('draft');

    ws.write('mkt.yaml', UNSUBSCRIBE_YAML);
    create(ws, 'news', 'email', 'all-email', 'outbox', 'news');
    const ok = ws.cli(['campaign', 'check', 'news', '--budget', '1', '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, recipients: 3, estimate: { messages: 3, cost: 0.0003, budget: 1 } });
  }, 120_000);

  it('SMS: opt-out text required by the provider, max_segments on sampled recipients, cost by number prefix over --budget', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, providers: PRICED });
    create(ws, 'plain', 'sms', 'all-sms', 'outbox-sms', 'hello');
    const r = ws.cli(['campaign', 'check', 'plain', '--json']);
    expect(r.code).toBe(65);
    expect(JSON.parse(r.stdout).errors).toEqual([expect.objectContaining({ code: 'no_opt_out', message: expect.stringContaining('3 of 3 SMS have none') })]);

    ws.write('templates/sms/long.txt', `---\nmax_segments: 1\nopt_out_footer: "Reply STOP to opt out"\n---\n{{ first_name }} ${'x'.repeat(150)}\n`);
    create(ws, 'long', 'sms', 'all-sms', 'outbox-sms', 'long');
    expect(JSON.parse(ws.cli(['campaign', 'check', 'long', '--json']).stdout).errors.map((e: { code: string }) => e.code)).toEqual(['too_many_segments']);

    ws.write('templates/sms/ok.txt', '---\nopt_out_footer: "Reply STOP to opt out"\n---\nHi {{ first_name }}, new arrivals.\n');
    create(ws, 'ok', 'sms', 'all-sms', 'outbox-sms', 'ok');
    const over = ws.cli(['campaign', 'check', 'ok', '--budget', '0.06', '--json']);
    expect(over.code).toBe(65);
    // one +44 at 0.05 and two +1 at 0.01, one segment each
    expect(JSON.parse(over.stdout)).toMatchObject({ estimate: { cost: 0.07, sms_segments: 3 }, errors: [{ code: 'over_budget' }] });
    const prep = ws.cli(['campaign', 'prepare', 'ok', '--budget', '1', '--json']);
    expect(prep.code, prep.stderr).toBe(0);
    expect(JSON.parse(prep.stdout)).toMatchObject({ recipients: 3 });
  }, 120_000);

  it('SMS: an emoji cluster at a part boundary costs a third segment: max_segments refuses 2, the estimate bills 3', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, providers: PRICED });
    // 65 + 4 (👍🏽) + 54 + 1 (LF) + 10 ("Reply STOP") = 134 UTF-16 units: two full parts of 67
    // only if the emoji were cut between its code points, which Twilio never does
    const body = `${'ж'.repeat(65)}👍🏽${'ж'.repeat(54)}`;
    for (const [name, max] of [['two', 2], ['three', 3]] as const) {
      ws.write(`templates/sms/${name}.txt`, `---\nmax_segments: ${max}\nopt_out_footer: "Reply STOP"\n---\n${body}\n`);
      create(ws, name, 'sms', 'all-sms', 'outbox-sms', name);
    }
    const two = ws.cli(['campaign', 'check', 'two', '--json']);
    expect(two.code).toBe(65);
    expect(JSON.parse(two.stdout).errors.map((e: { code: string }) => e.code)).toEqual(['too_many_segments']);
    const three = ws.cli(['campaign', 'check', 'three', '--json']);
    expect(three.code, three.stderr).toBe(0);
    // (0.05 + 0.01 + 0.01) × 3 segments
    expect(JSON.parse(three.stdout)).toMatchObject({ estimate: { messages: 3, sms_segments: 9, cost: 0.21 } });
    const prep = ws.cli(['campaign', 'prepare', 'three', '--json']);
    expect(prep.code, prep.stderr).toBe(0);
    expect(JSON.parse(prep.stdout)).toMatchObject({ estimate: { sms_segments: 9 } });
  }, 120_000);

  it('WhatsApp MARKETING to +1 numbers is a warning with the count; no price with --budget is a warning', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, providers: PRICED });
    create(ws, 'wa', 'whatsapp', 'all-wa', 'outbox-wa', 'promo');
    const r = ws.cli(['campaign', 'check', 'wa', '--budget', '5', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.warnings.map((w: { code: string }) => w.code)).toEqual(['whatsapp_marketing_us', 'no_prices']);
    expect(report.warnings[0].message).toContain('2 recipient(s) have +1 numbers');
    expect(r.stderr).toContain('warning: whatsapp_marketing_us');
  }, 120_000);
});

describe('suppress commands', () => {
  it('add / list / remove with normalised addresses; bad import is atomic with file:line errors', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS });
    expect(ws.cli(['suppress', 'add', '  Ana@Example.ORG ', '--channel', 'email', '--reason', 'complained']).code).toBe(0);
    const again = ws.cli(['suppress', 'add', 'ana@example.org', '--channel', 'email', '--json']);
    expect(JSON.parse(again.stdout)).toMatchObject({ added: false, suppression: { reason: 'complained' } });
    expect(ws.cli(['suppress', 'add', '07911 100001', '--channel', 'sms']).code).toBe(65); // national form: no country to read it in
    expect(ws.cli(['suppress', 'add', '+44 7911 100001', '--channel', 'sms']).code).toBe(0);
    expect(ws.cli(['suppress', 'add', 'x@y.z', '--channel', 'fax']).code).toBe(64);
    expect(ws.cli(['suppress', 'add', 'x@example.com', '--channel', 'email', '--reason', 'bored']).code).toBe(64);
    const list = JSON.parse(ws.cli(['suppress', 'list', '--json']).stdout);
    expect(list.map((s: { channel: string; address: string }) => `${s.channel}:${s.address}`)).toEqual(['email:ana@example.org', 'sms:+447911100001']);
    expect(JSON.parse(ws.cli(['suppress', 'list', '--channel', 'sms', '--json']).stdout)).toHaveLength(1);

    ws.write('bad.csv', 'address,channel,reason\nben@example.org,email,bounced\nnot-an-address,email,\n+14155550124,sms,stop_keyword\n+14155550124,pager,manual\n');
    const bad = ws.cli(['suppress', 'import', 'bad.csv']);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toContain('bad.csv:3: "not-an-address" is not a valid email address');
    expect(bad.stderr).toContain('bad.csv:5: channel "pager" must be email, sms, whatsapp');
    expect(JSON.parse(ws.cli(['suppress', 'list', '--json']).stdout)).toHaveLength(2);

    ws.write('good.jsonl', '{"address":"ben@example.org","channel":"email","reason":"bounced"}\n{"phone":"+14155550124","channel":"whatsapp"}\n');
    expect(JSON.parse(ws.cli(['suppress', 'import', 'good.jsonl', '--json']).stdout)).toEqual({ read: 2, added: 2, already: 0 });
    expect(JSON.parse(ws.cli(['suppress', 'remove', 'ANA@example.org', '--channel', 'email', '--yes', '--json']).stdout)).toMatchObject({ removed: true });
    expect(JSON.parse(ws.cli(['suppress', 'list', '--json']).stdout)).toHaveLength(3);
  }, 120_000);
});

describe('mkt.yaml errors', () => {
  it('name file:line:col, a missing variable without its value, literal secrets refused (exit 78)', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: UNSUBSCRIBE_YAML });
    create(ws, 'flash', 'sms', 'all-sms', 'outbox-sms', 'hello');
    const missing = ws.cli(['campaign', 'recount', 'flash'], { MKT_UNSUBSCRIBE_SECRET: '' });
    expect(missing.code).toBe(78);
    expect(missing.stderr).toContain('mkt.yaml:3:11: unsubscribe.secret: environment variable MKT_UNSUBSCRIBE_SECRET is not set');

    ws.write('mkt.yaml', 'unsubscribe:\n  base_url: https://u.example.com/u\n  secret: hunter2-literal-secret-value\nquiet_hours:\n  sms: "9-20"\nfrequency_cap:\n  email: { max: 2, per: 7 days }\ncolour: blue\n');
    const r = ws.cli(['campaign', 'recount', 'flash']);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain('mkt.yaml:3:11: unsubscribe.secret: a secret must be an ${ENV_VAR} reference');
    expect(r.stderr).not.toContain('hunter2');

    ws.write('mkt.yaml', 'quiet_hours:\n  sms: "9-20"\nfrequency_cap:\n  email: { max: 2, per: 7 days }\ncolour: blue\n');
    const shape = ws.cli(['campaign', 'recount', 'flash']);
    expect(shape.code).toBe(78);
    expect(shape.stderr).toContain('mkt.yaml:2:8: quiet_hours.sms: "9-20" is not a window');
    expect(shape.stderr).toContain('mkt.yaml:4:25: frequency_cap.email.per: "7 days" is not a period');
    expect(shape.stderr).toContain('mkt.yaml:5:1: colour: unknown key "colour"');
  }, 120_000);
});
