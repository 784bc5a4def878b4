/**
 * `send_at_local: "09:00"` (issue 16, part 3): prepare gives each recipient the next 09:00 on
 * their own clock (their timezone, else their country's zone, else mkt.yaml's
 * default_timezone) across a DST change; one `send --due` run sends the rows that are due and
 * exits 0 with `waiting: N`; a run with nothing due says the campaign was skipped for its local
 * time (stderr and --json). Through the built CLI with MKT_NOW, against the outbox, on SQLite
 * and on PostgreSQL (the same steps, the same results).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';
import { e2eStores, onStore, type OnStore } from '../support/store-side.js';

let ws: OnStore<SmsWorkspace> | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});
const STORES = await e2eStores('e2e_send_at_local');

const at = (iso: string) => ({ MKT_NOW: iso });

describe.each(STORES)('send_at_local on $store', { timeout: 120_000 }, ({ store }) => {
  it('each recipient at 09:00 in their zone (Europe after its DST change), waiting: N, skipped for local time', async () => {
    const w = (ws = await onStore(store, smsWorkspace(0)));
    writeFileSync(path.join(w.dir, 'mkt.yaml'), 'default_timezone: Asia/Kolkata\n');
    writeFileSync(
      path.join(w.dir, 'zones.csv'),
      [
        'external_id,phone,country,timezone,sms_opt_in,first_name',
        'ber,+4915010000000,DE,Europe/Berlin,yes,Ber', // 09:00 CEST on the 29th (clocks went forward at 01:00Z)
        'nyc,+12125550001,US,America/New_York,yes,Nyc', // 09:00 EDT on the 28th
        'tyo,+819012345678,,Asia/Tokyo,yes,Tyo', // 09:00 JST on the 29th
        'def,+447911123456,,,yes,Def', // no zone, no country: mkt.yaml's Asia/Kolkata
      ].join('\n') + '\n',
    );
    w.importCsv('zones.csv');
    const create = ['campaign', 'create', '--name', 'morning', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello'];
    expect(w.cli([...create, '--send-at-local', '09:00', '--schedule', '2026-03-28T00:00:00Z'], at('2026-03-27T12:00:00Z')).code).toBe(0);
    expect(w.cli([...create.slice(0, 3), 'bad', ...create.slice(4), '--send-at-local', '9am']).code).toBe(64);

    expect(w.cli(['campaign', 'prepare', 'morning'], at('2026-03-28T12:00:00Z')).code).toBe(0);
    const due = Object.fromEntries(
      w.query<{ ext: string; due: number }>('SELECT c.external_id AS ext, r.next_attempt_at AS due FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id').map((r) => [r.ext, new Date(Number(r.due)).toISOString()]),
    );
    expect(due).toEqual({
      ber: '2026-03-29T07:00:00.000Z',
      nyc: '2026-03-28T13:00:00.000Z',
      tyo: '2026-03-29T00:00:00.000Z',
      def: '2026-03-29T03:30:00.000Z',
    });

    const first = w.cli(['campaign', 'send', '--due', '--yes'], at('2026-03-28T13:30:00Z'));
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^morning: waiting, sent 1, waiting: 3 until 2026-03-29T00:00:00.000Z$/m);
    expect(w.states('morning')).toEqual({ sent: 1, pending: 3 });

    const idle = w.cli(['campaign', 'send', '--due', '--yes', '--json'], at('2026-03-28T14:00:00Z'));
    expect(idle.code).toBe(0);
    expect(idle.stderr).toContain('skipped morning: local time: 3 recipient(s) wait for 09:00 on their own clock; the next at 2026-03-29T00:00:00.000Z');
    expect(JSON.parse(idle.stdout)).toEqual({ due: [], skipped: [{ campaign: 'morning', reason: 'local_time', message: expect.stringContaining('3 recipient(s)') }], campaigns: [] });

    const last = w.cli(['campaign', 'send', '--due', '--yes'], at('2026-03-29T07:30:00Z'));
    expect(last.code).toBe(0);
    expect(w.states('morning')).toEqual({ sent: 4 });
    expect(w.query<{ state: string }>("SELECT state FROM campaigns WHERE name = 'morning'")[0]!.state).toBe('completed');
  });

  it('send --due names the campaigns it skipped: canary-held, waiting for quiet hours (stderr and --json)', async () => {
    const w = (ws = await onStore(store, smsWorkspace(3)));
    writeFileSync(path.join(w.dir, 'mkt.yaml'), 'quiet_hours:\n  sms: "09:00-20:00"\n');
    const create = (name: string) => ['campaign', 'create', '--name', name, '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello', '--schedule', '2026-03-02T00:00:00Z'];
    const day = at('2026-03-02T10:00:00Z'); // 11:00 in Berlin: inside the window
    expect(w.cli(create('canary'), at('2026-03-01T10:00:00Z')).code).toBe(0);
    expect(w.cli(create('night'), at('2026-03-01T10:00:00Z')).code).toBe(0);
    expect(w.cli(['campaign', 'prepare', 'canary'], day).code).toBe(0);
    expect(w.cli(['campaign', 'send', 'canary', '--yes', '--limit', '1'], day).code).toBe(0);
    expect(w.cli(['campaign', 'prepare', 'night'], day).code).toBe(0);
    // 22:00 UTC is 23:00 in Berlin: every row is deferred to 09:00 there (a resumable stop, 75)
    expect(w.cli(['campaign', 'send', 'night', '--yes'], at('2026-03-02T22:00:00Z')).code).toBe(75);

    const r = w.cli(['campaign', 'send', '--due', '--yes', '--json'], at('2026-03-02T23:00:00Z'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/skipped canary: canary held: a --limit batch was sent/);
    expect(r.stderr).toContain('skipped night: quiet hours: 3 recipient(s) wait for their quiet hours to end; the next at 2026-03-03T08:00:00.000Z');
    expect(JSON.parse(r.stdout).skipped.map((s: { campaign: string; reason: string }) => [s.campaign, s.reason])).toEqual([
      ['canary', 'canary_held'],
      ['night', 'quiet_hours'],
    ]);
    expect(w.states('canary')).toEqual({ sent: 1, pending: 2 });
  });
});
