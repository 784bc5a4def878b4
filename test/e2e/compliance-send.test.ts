import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { complianceWorkspace, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { e2eStores, onStore, type OnStore } from '../support/store-side.js';

let ws: ComplianceWorkspace | OnStore<ComplianceWorkspace> | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});
// quiet hours and frequency caps run on both stores (`suppress import` has no PostgreSQL twin yet)
const STORES = await e2eStores('e2e_compliance_send');

const smsCustomers = (rows: Array<{ phone: string; country?: string; timezone?: string }>) =>
  'external_id,phone,country,timezone,sms_opt_in,first_name\n' + rows.map((r, i) => `x${i},${r.phone},${r.country ?? ''},${r.timezone ?? ''},yes,P${i}`).join('\n') + '\n';

const outbox = (w: Pick<ComplianceWorkspace, 'dir'>, campaign: string): Array<{ to: string; at: string }> => {
  const file = path.join(w.dir, '.mkt', 'outbox', campaign, 'messages.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
};

const create = (w: Pick<ComplianceWorkspace, 'cli'>, name: string) => {
  const r = w.cli(['campaign', 'create', '--name', name, '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']);
  expect(r.code, r.stderr).toBe(0);
};

describe('suppression committed mid-send', () => {
  it('is honoured by every later claim: the address never reaches the provider', async () => {
    const phones = Array.from({ length: 40 }, (_, i) => `+4479111${String(10000 + i)}`);
    ws = complianceWorkspace({ customers: smsCustomers(phones.map((phone) => ({ phone, country: 'GB' }))) });
    create(ws, 'slow');
    expect(ws.cli(['campaign', 'prepare', 'slow']).code).toBe(0);
    const w = ws;
    const sending = w.cliAsync(['campaign', 'send', 'slow', '--yes', '--throttle', '4/s', '--json']);
    // wait until the send is under way, then suppress the last few recipients from another process
    const deadline = Date.now() + 30_000;
    while (outbox(w, 'slow').length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(outbox(w, 'slow').length).toBeGreaterThanOrEqual(2);
    const victims = phones.slice(-10);
    w.write('victims.csv', 'address\n' + victims.join('\n') + '\n');
    const added = w.cli(['suppress', 'import', 'victims.csv', '--channel', 'sms', '--reason', 'unsubscribed', '--json']);
    expect(JSON.parse(added.stdout)).toEqual({ read: 10, added: 10, already: 0 });
    const committed = new Map(w.query<{ address: string; created_at: number }>('SELECT address, created_at FROM suppressions').map((r) => [r.address, r.created_at]));
    const done = await sending;
    expect(done.code, done.stderr).toBe(0);

    const lines = outbox(w, 'slow');
    for (const v of victims) {
      const sent = lines.find((l) => l.to === v);
      // sent at most before its suppression was committed, never after
      if (sent) expect(Date.parse(sent.at)).toBeLessThanOrEqual(committed.get(v)!);
    }
    const rows = w.query<{ address: string; state: string; error_code: string | null }>('SELECT address, state, error_code FROM campaign_recipients');
    const skipped = rows.filter((r) => r.state === 'skipped');
    expect(skipped.length).toBeGreaterThan(0);
    for (const s of skipped) {
      expect(victims).toContain(s.address);
      expect(s.error_code).toBe('suppressed');
      expect(lines.some((l) => l.to === s.address)).toBe(false);
    }
    expect(lines.length + skipped.length).toBe(phones.length);
    expect(JSON.parse(done.stdout)).toMatchObject({ skipped: skipped.length, sent: lines.length });
  }, 120_000);
});

describe.each(STORES)('quiet hours on $store', ({ store }) => {
  it('defers recipients outside their local window until it opens, exits 75 with the count, resumes later', async () => {
    const w = (ws = await onStore(store, complianceWorkspace({
      customers: smsCustomers([
        { phone: '+4915110000001', country: 'DE' }, // Berlin 14:00: inside
        { phone: '+4915110000002', timezone: 'America/New_York' }, // 08:00: opens 13:00Z
        { phone: '+4915110000003', country: 'JP' }, // 21:00: opens 00:00Z next day
        { phone: '+4915110000004' }, // workspace default Asia/Kolkata 17:30: inside
      ]),
      mktYaml: 'default_timezone: Asia/Kolkata\nquiet_hours:\n  sms: "09:00-20:00"\n',
    })));
    create(w, 'qh');
    expect(w.cli(['campaign', 'prepare', 'qh'], { MKT_NOW: '2026-06-01T12:00:00Z' }).code).toBe(0);
    const first = w.cli(['campaign', 'send', 'qh', '--yes', '--json'], { MKT_NOW: '2026-06-01T12:00:00Z' });
    expect(first.code).toBe(75);
    expect(first.stderr).toContain('2 recipient(s) wait until 2026-06-01T13:00:00.000Z');
    expect(JSON.parse(first.stdout)).toMatchObject({ sent: 2, skipped: 0, stop: 'waiting', waiting: { count: 2, until: '2026-06-01T13:00:00.000Z' } });
    const pending = () => Object.fromEntries(w.query<{ address: string; next_attempt_at: number }>("SELECT address, next_attempt_at FROM campaign_recipients WHERE state = 'pending'").map((r) => [r.address, new Date(Number(r.next_attempt_at)).toISOString()]));
    expect(pending()).toEqual({ '+4915110000002': '2026-06-01T13:00:00.000Z', '+4915110000003': '2026-06-02T00:00:00.000Z' });
    expect(outbox(w, 'qh').map((l) => l.to).sort()).toEqual(['+4915110000001', '+4915110000004']);

    const second = w.cli(['campaign', 'send', 'qh', '--yes'], { MKT_NOW: '2026-06-01T13:00:05Z' });
    expect(second.code).toBe(75);
    expect(second.stderr).toContain('1 recipient(s) wait until 2026-06-02T00:00:00.000Z');
    expect(outbox(w, 'qh')).toHaveLength(3);

    const third = w.cli(['campaign', 'send', 'qh', '--yes', '--json'], { MKT_NOW: '2026-06-02T00:00:05Z' });
    expect(third.code, third.stderr).toBe(0);
    expect(JSON.parse(third.stdout)).toMatchObject({ state: 'completed', sent: 1 });
    expect(outbox(w, 'qh')).toHaveLength(4);
  }, 120_000);
});

describe.each(STORES)('frequency caps on $store', ({ store }) => {
  it('exclude at prepare (excluded.frequency_cap) and skip at claim time, counting other campaigns within the window', async () => {
    const w = (ws = await onStore(store, complianceWorkspace({
      customers: smsCustomers([{ phone: '+4915110000001' }, { phone: '+4915110000002' }, { phone: '+4915110000003' }]),
      mktYaml: 'frequency_cap:\n  sms: { max: 1, per: 7d }\n',
    })));
    const at = (iso: string) => ({ MKT_NOW: iso });
    for (const n of ['a', 'b', 'c']) create(w, n);
    expect(w.cli(['campaign', 'prepare', 'a'], at('2026-06-01T10:00:00Z')).code).toBe(0);
    expect(JSON.parse(w.cli(['campaign', 'prepare', 'b', '--json'], at('2026-06-01T10:00:00Z')).stdout)).toMatchObject({ recipients: 3 });
    expect(w.cli(['campaign', 'send', 'a', '--yes'], at('2026-06-01T10:00:00Z')).code).toBe(0);

    // prepared before a was sent: b's recipients are skipped when claimed
    const b = w.cli(['campaign', 'send', 'b', '--yes', '--json'], at('2026-06-02T10:00:00Z'));
    expect(b.code, b.stderr).toBe(0);
    expect(JSON.parse(b.stdout)).toMatchObject({ sent: 0, skipped: 3 });
    expect(w.query<{ error_code: string }>("SELECT DISTINCT r.error_code FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = 'b'")).toEqual([{ error_code: 'frequency_cap' }]);

    const capped = JSON.parse(w.cli(['campaign', 'prepare', 'c', '--json'], at('2026-06-05T10:00:00Z')).stdout);
    expect(capped).toMatchObject({ matched: 3, recipients: 0, excluded: { frequency_cap: 3 } });
    const later = JSON.parse(w.cli(['campaign', 'prepare', 'c', '--json'], at('2026-06-08T10:00:01Z')).stdout);
    expect(later).toMatchObject({ recipients: 3 });
    expect(later.excluded.frequency_cap ?? 0).toBe(0);
  }, 120_000);
});
