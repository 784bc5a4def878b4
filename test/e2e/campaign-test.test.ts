/**
 * `campaign test` through the built CLI against the fake SES and Twilio servers: the proof is
 * the campaign's real render (its template, the chosen customer's data, the List-Unsubscribe
 * headers, the sender rotation), the subject marked [TEST] unless --no-prefix, reviewers from
 * --to or mkt.yaml's proof_list; suppressed reviewers are refused by name; and the ledger and
 * campaign rows are byte-identical before and after. On SQLite and on PostgreSQL alike.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeSes, type FakeSes } from '../fakes/ses.js';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { e2eStores, onStore, type OnStore, type StoreKind } from '../support/store-side.js';

const SID = 'AC' + '0123456789abcdef'.repeat(2);
const KEY = 'AKIDE2E000000001';
const SECRET = 'proof-test-secret-0123456789';
let ws: OnStore<ComplianceWorkspace> | undefined;
const STORES = await e2eStores('e2e_campaign_test');
let ses: FakeSes;
let twilio: FakeTwilio;

beforeEach(async () => {
  ses = await startFakeSes({ accessKeyId: KEY });
  twilio = await startFakeTwilio({ accountSid: SID, authToken: SECRET });
});
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
  await ses.close();
  await twilio.close();
});

async function workspace(store: StoreKind, mktExtra = ''): Promise<OnStore<ComplianceWorkspace>> {
  const w = complianceWorkspace({
    customers: 'external_id,email,phone,email_opt_in,sms_opt_in,first_name\na,ana@example.com,+447911100001,yes,yes,Ana\nb,ben@example.com,+447911100002,yes,yes,Ben\nc,cy@example.com,,yes,no,Cy\n',
    mktYaml: UNSUBSCRIBE_YAML + mktExtra,
    providers: `providers:
  - name: ses
    type: ses
    channel: email
    region: us-east-1
    endpoint: ${ses.url}
    access_key_id: \${T_KEY}
    secret_access_key: \${T_SECRET}
    senders: [ "News <news@m1.shop.example>", "News <news@m2.shop.example>" ]
  - name: tw
    type: twilio
    channel: sms
    account_sid: ${SID}
    auth_token: \${T_SECRET}
    base_url: ${twilio.url}
    senders: [ "+15550000001", "+15550000002" ]
`,
  });
  ws = await onStore(store, w);
  return ws;
}
const env = { T_KEY: KEY, T_SECRET: SECRET, MKT_NOW: '2026-06-01T12:00:00Z' };
// async: the fake servers run in this process, so the CLI must not block its event loop
const cli = (args: string[]) => ws!.cliAsync(args, env);
const rows = () => JSON.stringify([ws!.query('SELECT * FROM campaigns ORDER BY id'), ws!.query('SELECT * FROM campaign_recipients ORDER BY id'), ws!.query('SELECT * FROM sender_usage')]);

describe.each(STORES)('campaign test on $store', { timeout: 60_000 }, ({ store }) => {
  it('sends the real render to each reviewer through the rotation, marked [TEST], touching no row', async () => {
    await workspace(store);
    expect((await cli(['campaign', 'create', '--name', 'news', '--channel', 'email', '--segment', 'all-email', '--provider', 'ses', '--template', 'news'])).code).toBe(0);
    expect((await cli(['campaign', 'prepare', 'news'])).code).toBe(0);
    const before = rows();
    const r = await cli(['campaign', 'test', 'news', '--to', 'Rev.One@Example.com, rev2@example.com', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ campaign: 'news', provider: 'ses', channel: 'email', customer: { source: 'first_recipient' }, refused: [] });
    expect(rows()).toBe(before);
    expect(ses.receipts.map((m) => [m.to, m.from, m.subject])).toEqual([
      [['rev.one@example.com'], 'News <news@m1.shop.example>', '[TEST] News for Ana'],
      [['rev2@example.com'], 'News <news@m2.shop.example>', '[TEST] News for Ana'],
    ]);
    const m = ses.receipts[0]!;
    expect(m.html).toContain('Hi Ana');
    const unsub = m.headers.find((h) => h.Name === 'List-Unsubscribe')!.Value;
    expect(unsub).toMatch(/^<https:\/\/mkt\.example\.com\/u\/[A-Za-z0-9_.-]+>, <mailto:unsubscribe@shop\.example\.com\?subject=unsubscribe>$/);
    // signed for customer 0: a reviewer who clicks it unsubscribes nobody
    const token = /\/u\/([^.>]+)\./.exec(unsub)![1]!;
    expect(Buffer.from(token, 'base64url').toString()).toMatch(/^k1\.1\.0\.email$/);
    expect(m.headers.find((h) => h.Name === 'List-Unsubscribe-Post')?.Value).toBe('List-Unsubscribe=One-Click');
  });

  it('--customer picks whose data fills it; --no-prefix keeps the subject; a draft renders with the segment\'s first customer', async () => {
    await workspace(store);
    await cli(['campaign', 'create', '--name', 'news', '--channel', 'email', '--segment', 'all-email', '--provider', 'ses', '--template', 'news']);
    const before = rows();
    expect((await cli(['campaign', 'test', 'news', '--to', 'rev@example.com'])).code).toBe(0);
    expect((await cli(['campaign', 'test', 'news', '--to', 'rev@example.com', '--customer', 'ben@example.com', '--no-prefix'])).code).toBe(0);
    expect(ses.receipts.map((m) => m.subject)).toEqual(['[TEST] News for Ana', 'News for Ben']);
    expect(rows()).toBe(before);
  });

  it('reviewers come from proof_list when there is no --to; a suppressed one is refused by name (65), the rest are sent', async () => {
    await workspace(store, 'proof_list: [ "lead@example.com", "+447911100009", "ben@example.com" ]\n');
    await cli(['campaign', 'create', '--name', 'news', '--channel', 'email', '--segment', 'all-email', '--provider', 'ses', '--template', 'news']);
    await cli(['suppress', 'add', 'ben@example.com', '--channel', 'email']);
    const r = await cli(['campaign', 'test', 'news']);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('not sent to ben@example.com: suppressed on email');
    expect(ses.receipts.map((m) => m.to)).toEqual([['lead@example.com']]);
  });

  it('a bad proof_list entry is a configuration error at its line', async () => {
    await workspace(store, 'proof_list:\n  - lead@example.com\n  - nobody\n');
    await cli(['campaign', 'create', '--name', 'news', '--channel', 'email', '--segment', 'all-email', '--provider', 'ses', '--template', 'news']);
    const r = await cli(['campaign', 'test', 'news']);
    expect(r.code).toBe(78);
    expect(r.stderr).toMatch(/mkt\.yaml:7:5: proof_list\[1\]: "nobody" is neither an email address nor an E\.164 phone number/);
    expect(ses.receipts).toEqual([]);
  });

  it('SMS takes --to +49…: the body goes through Twilio as the campaign would send it', async () => {
    await workspace(store);
    await cli(['campaign', 'create', '--name', 'flash', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'tw', '--template', 'hello']);
    await cli(['campaign', 'prepare', 'flash']);
    const before = rows();
    const bad = await cli(['campaign', 'test', 'flash', '--to', 'rev@example.com']);
    expect(bad.code).toBe(64);
    const r = await cli(['campaign', 'test', 'flash', '--to', '+49 151 12345678,+4915112345679']);
    expect(r.code, r.stderr).toBe(0);
    expect(twilio.receipts.map((m) => [m.to, m.from, m.body])).toEqual([
      ['+4915112345678', '+15550000001', 'Hi Ana, new arrivals today.'],
      ['+4915112345679', '+15550000002', 'Hi Ana, new arrivals today.'],
    ]);
    expect(rows()).toBe(before);
  });
});
