/**
 * Tracked WhatsApp URL buttons end to end through the built CLI: a template's `track:`
 * destination is recorded in campaign_links (kind 'button') and the button's parameter on the
 * wire (Meta's button component, Twilio's Content variable) is the SMS short code, so the
 * approved URL `<base_url>/s/{{1}}` opens `/s/<code>`, which `mkt serve` redirects to the
 * destination and counts as a click. A template whose approved URL is not that prefix is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FAKE_TWILIO_SID, startFakeMeta, startFakeTwilio, type FakeMeta, type FakeTwilio } from '../fakes/index.js';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';

const SECRETS = { META_TOKEN: 'fake-meta-token', TW_API: 'twilio-api-token-1' };
const CUSTOMERS = `external_id,email,phone,country,email_opt_in,sms_opt_in,whatsapp_opt_in,first_name
a,ana@example.org,+447911100001,GB,yes,yes,yes,Ana
b,ben@example.org,+447911100002,GB,yes,yes,yes,Ben
`;
const template = (url: string) => `name: spring_button
language: en_US
category: MARKETING
body: "Hi {{1}}, the spring sale is on."
parameters:
  - "{{ first_name }}"
buttons:
  - { type: url, url: "${url}", track: "https://shop.example/spring?c={{ external_id }}" }
twilio: { content_sid: HX0123456789abcdef0123456789abcdef }
`;
const SENT_AT = '2026-03-02T10:00:00.000Z';
const LATER = '2026-03-02T12:00:00.000Z';

let ws: ComplianceWorkspace;
let meta: FakeMeta;
let twilio: FakeTwilio;
let serve: ServeProcess;

const links = (campaign: string) =>
  ws.query<{ link_id: number; url: string; kind: string }>(`SELECT link_id, url, kind FROM campaign_links l JOIN campaigns c ON c.id = l.campaign_id WHERE c.name = ? ORDER BY link_id`, campaign);
const clicks = (campaign: string) =>
  ws.query<{ link_id: number; count: number; unique_count: number }>(
    `SELECT link_id, sum(count) AS count, sum(unique_count) AS unique_count FROM engagement_hourly h JOIN campaigns c ON c.id = h.campaign_id
     WHERE c.name = ? AND kind = 'click' AND machine = 0 GROUP BY link_id ORDER BY link_id`,
    campaign,
  );
const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
};
/** The button suffix Meta received for a phone number. */
const metaSuffix = (to: string) => {
  const components = meta.receipts.find((r) => r.to === to)!.template!.components as Array<{ type: string; sub_type?: string; index?: string; parameters: Array<{ type: string; text: string }> }>;
  const button = components.find((c) => c.type === 'button')!;
  expect(button).toMatchObject({ sub_type: 'url', index: '0' });
  expect(button.parameters).toHaveLength(1);
  expect(button.parameters[0]!.type).toBe('text');
  return button.parameters[0]!.text;
};

async function send(name: string, provider: string): Promise<void> {
  const env = { ...SECRETS, MKT_NOW: SENT_AT };
  for (const args of [
    ['campaign', 'create', '--name', name, '--channel', 'whatsapp', '--segment', 'all-wa', '--provider', provider, '--template', 'spring_button'],
    ['campaign', 'prepare', name],
  ]) {
    const r = ws.cli(args, env);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  }
  // async: the fakes answer from this process
  const sent = await ws.cliAsync(['campaign', 'send', name, '--yes'], env);
  expect(sent.code, sent.stderr).toBe(0);
}

beforeAll(async () => {
  meta = await startFakeMeta({ accessToken: SECRETS.META_TOKEN });
  twilio = await startFakeTwilio({ accountSid: FAKE_TWILIO_SID, authToken: SECRETS.TW_API });
  ws = complianceWorkspace({
    customers: CUSTOMERS,
    providers: `providers:
  - name: wa
    type: meta-whatsapp
    channel: whatsapp
    access_token: \${META_TOKEN}
    base_url: ${meta.url}
    senders: [ "106540352242922" ]
  - name: tw
    type: twilio
    channel: whatsapp
    account_sid: ${FAKE_TWILIO_SID}
    auth_token: \${TW_API}
    base_url: ${twilio.url}
    senders: [ "+15550000001" ]
`,
    mktYaml: UNSUBSCRIBE_YAML + `tracking:\n  base_url: https://t.shop.example\n  utm: { source: mkt, medium: "{{ channel }}", campaign: "{{ campaign.name }}" }\n  bot_click_window: 30\n`,
  });
  ws.write('templates/whatsapp/spring_button.yaml', template('https://t.shop.example/s/{{1}}'));
  await send('wa-meta', 'wa');
  await send('wa-twilio', 'tw');
  serve = await startServe(ws.dir, { ...ws.env, ...SECRETS, MKT_NOW: LATER });
}, 180_000);

afterAll(async () => {
  await serve?.stop();
  await meta?.close();
  await twilio?.close();
  ws?.cleanup();
});

describe('a tracked WhatsApp URL button', () => {
  it('records each destination (with UTM) as a button link, before the send', () => {
    expect(links('wa-meta')).toEqual([
      { link_id: 1, url: 'https://shop.example/spring?c=a&utm_source=mkt&utm_medium=whatsapp&utm_campaign=wa-meta', kind: 'button' },
      { link_id: 2, url: 'https://shop.example/spring?c=b&utm_source=mkt&utm_medium=whatsapp&utm_campaign=wa-meta', kind: 'button' },
    ]);
  });

  it('sends the short code, not the destination, as the Meta button parameter and the Twilio variable', () => {
    expect(meta.receipts).toHaveLength(2);
    for (const to of ['447911100001', '447911100002']) {
      const suffix = metaSuffix(to);
      expect(suffix).toMatch(/^[0-9a-z]+\.[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]+$/);
      expect(JSON.stringify(meta.receipts)).not.toContain('shop.example/spring');
    }
    expect(twilio.receipts).toHaveLength(2);
    for (const r of twilio.receipts) {
      expect(r.contentSid).toBe('HX0123456789abcdef0123456789abcdef');
      const vars = JSON.parse(r.contentVariables!) as Record<string, string>;
      // body {{1}} is 1, the button parameter follows as 2
      expect(Object.keys(vars).sort()).toEqual(['1', '2']);
      expect(vars['2']).toMatch(/^[0-9a-z]+\.[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]+$/);
      expect(r.contentVariables).not.toContain('shop.example');
    }
  });

  it('lands a tap (approved prefix + code) on the recorded destination through mkt serve, counted as a click once per recipient', async () => {
    const suffix = metaSuffix('447911100001');
    const tap = () => fetch(`${serve.base}/s/${suffix}`, { redirect: 'manual', headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1' } });
    const r = await tap();
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('https://shop.example/spring?c=a&utm_source=mkt&utm_medium=whatsapp&utm_campaign=wa-meta');
    expect((await tap()).status).toBe(302);
    await waitFor(() => clicks('wa-meta').some((c) => c.link_id === 1 && c.count >= 2));
    expect(clicks('wa-meta')).toEqual([
      { link_id: 0, count: 2, unique_count: 1 },
      { link_id: 1, count: 2, unique_count: 1 },
    ]);
    // a tampered code is 404, never a redirect
    const bad = await fetch(`${serve.base}/s/${suffix.slice(0, -1)}${suffix.endsWith('A') ? 'B' : 'A'}`, { redirect: 'manual' });
    expect(bad.status).toBe(404);
  });
});

describe('an approved button URL that is not the tracking prefix', () => {
  it('is refused by template validate and campaign check, naming the file, line and field; nothing is sent', () => {
    ws.write('templates/whatsapp/spring_button.yaml', template('https://shop.example/go/{{1}}'));
    const v = ws.cli(['template', 'validate', 'whatsapp/spring_button'], SECRETS);
    expect(v.code).toBe(65);
    expect(v.stdout + v.stderr).toMatch(/templates\/whatsapp\/spring_button\.yaml:8:\d+: .*buttons\[0\]\.url.*"https:\/\/t\.shop\.example\/s\/\{\{1\}\}"/);

    expect(ws.cli(['campaign', 'create', '--name', 'wa-bad', '--channel', 'whatsapp', '--segment', 'all-wa', '--provider', 'wa', '--template', 'spring_button'], SECRETS).code).toBe(0);
    const check = ws.cli(['campaign', 'check', 'wa-bad', '--json'], SECRETS);
    expect(check.code).not.toBe(0);
    expect(check.stdout).toContain('untrackable_button');
    expect(check.stdout).toMatch(/spring_button\.yaml:8:\d+: buttons\[0\]\.url/);
    const before = meta.receipts.length;
    const prep = ws.cli(['campaign', 'prepare', 'wa-bad'], SECRETS);
    expect(prep.code).not.toBe(0);
    expect(meta.receipts.length).toBe(before);
    expect(links('wa-bad')).toEqual([]);
  });
});
