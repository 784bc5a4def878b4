import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';

let ws: SmsWorkspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

const create = (w: SmsWorkspace, name = 'spring', provider = 'outbox-sms') =>
  w.cli(['campaign', 'create', '--name', name, '--channel', 'sms', '--segment', 'all-sms', '--provider', provider, '--template', 'hello']);

describe('campaign lifecycle (outbox)', () => {
  it('build → prepare → canary → send → status → report', () => {
    ws = smsWorkspace(60);
    expect(create(ws).code).toBe(0);

    const prep = ws.cli(['campaign', 'prepare', 'spring', '--json']);
    expect(prep.code).toBe(0);
    const plan = JSON.parse(prep.stdout);
    expect(plan).toMatchObject({
      matched: 60,
      excluded: { no_consent: 0, suppressed: 0, invalid_address: 0, duplicate_address: 0 },
      recipients: 60,
      senders: { '+15550000001': 15, '+15550000002': 15, '+15550000003': 30 },
      estimate: { messages: 60, sms_segments: 60 },
    });
    expect(plan.plan_hash).toMatch(/^[0-9a-f]{16}$/);

    const canary = ws.cli(['campaign', 'send', 'spring', '--limit', '10', '--yes', '--json']);
    expect(canary.code).toBe(0);
    expect(JSON.parse(canary.stdout)).toMatchObject({ stop: 'limit', sent: 10, state: 'paused' });
    expect(ws.states()).toEqual({ sent: 10, pending: 50 });

    const rest = ws.cli(['campaign', 'send', 'spring', '--yes', '--json']);
    expect(rest.code).toBe(0);
    expect(JSON.parse(rest.stdout)).toMatchObject({ stop: 'completed', sent: 50, state: 'completed' });

    const lines = readFileSync(path.join(ws.dir, '.mkt', 'outbox', 'spring', 'messages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(60);
    expect(new Set(lines.map((l) => l.to)).size).toBe(60);
    expect(lines.find((l) => l.to === ws!.phones[3])!.body).toBe('Hi Kim3, our sale starts today.');

    const status = JSON.parse(ws.cli(['campaign', 'status', 'spring', '--json']).stdout);
    expect(status).toMatchObject({ campaign: 'spring', state: 'completed', recipients: 60, counts: { pending: 0, sending: 0, sent: 60, failed: 0, unknown: 0, skipped: 0 } });
    expect(Object.values(status.by_sender).reduce((a: number, b) => a + (b as number), 0)).toBe(60);
    expect(status.by_sender['+15550000003']).toBe(30);

    const report = ws.cli(['campaign', 'report', 'spring', '--format', 'csv']);
    expect(report.code).toBe(0);
    const rows = report.stdout.trim().split('\n');
    expect(rows[0]).toBe('recipient_id,customer_id,address,state,sender,provider_message_id,attempts,error_code,error_message,sent_at,delivery_status,variant');
    expect(rows).toHaveLength(61);
    // phone numbers start with "+": neutralised so spreadsheets do not run them as formulas
    expect(rows[1]!.split(',')[2]).toMatch(/^'\+49/);
  });

  it('a send without a terminal needs --yes (64) and sends nothing', () => {
    ws = smsWorkspace(5);
    create(ws);
    ws.cli(['campaign', 'prepare', 'spring']);
    const r = ws.cli(['campaign', 'send', 'spring']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('--yes');
    expect(ws.states()).toEqual({ pending: 5 });
  });

  it('refuses mismatches and unknown references with 65, naming them', () => {
    ws = smsWorkspace(3, { extraProviders: '  - name: mail\n    type: outbox\n    channel: email\n    senders: [ "a@example.com" ]' });
    const wrongProvider = ws.cli(['campaign', 'create', '--name', 'x', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'mail', '--template', 'hello']);
    expect(wrongProvider.code).toBe(65);
    expect(wrongProvider.stderr).toContain('provider "mail" sends email');
    const unknownSegment = ws.cli(['campaign', 'create', '--name', 'x', '--channel', 'sms', '--segment', 'all-smss', '--provider', 'outbox-sms', '--template', 'hello']);
    expect(unknownSegment.code).toBe(65);
    expect(unknownSegment.stderr).toContain('did you mean "all-sms"');
    const missing = ws.cli(['campaign', 'create', '--name', 'x', '--channel', 'sms']);
    expect(missing.code).toBe(64);
    expect(ws.query('SELECT * FROM campaigns')).toEqual([]);
  });

  it('prepare replaces the list before sending; after sending starts only --refresh adds newcomers', () => {
    ws = smsWorkspace(20);
    create(ws);
    expect(JSON.parse(ws.cli(['campaign', 'prepare', 'spring', '--json']).stdout).recipients).toBe(20);
    // a suppression and a lost consent before the second prepare
    const db = ws.db;
    const h = new Database(db);
    h.prepare(`INSERT INTO suppressions (channel, address, reason, created_at) VALUES ('sms', ?, 'manual', 0)`).run(ws.phones[0]);
    h.prepare(`UPDATE customers SET sms_opt_in = 0 WHERE phone = ?`).run(ws.phones[1]);
    h.prepare(`UPDATE customers SET phone = ? WHERE phone = ?`).run(ws.phones[2], ws.phones[3]); // two customers share a number
    h.close();
    const again = JSON.parse(ws.cli(['campaign', 'prepare', 'spring', '--json']).stdout);
    // the customer who withdrew consent no longer matches the segment (it filters on sms_opt_in)
    expect(again).toMatchObject({ matched: 19, excluded: { suppressed: 1, duplicate_address: 1 }, recipients: 17 });

    ws.cli(['campaign', 'send', 'spring', '--limit', '5', '--yes']);
    const refused = ws.cli(['campaign', 'prepare', 'spring']);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toContain('--refresh');
    const h2 = new Database(db);
    h2.prepare(`UPDATE customers SET sms_opt_in = 1 WHERE phone = ?`).run(ws.phones[1]);
    h2.close();
    const refreshed = JSON.parse(ws.cli(['campaign', 'prepare', 'spring', '--refresh', '--json']).stdout);
    expect(refreshed.added).toBe(1);
    expect(refreshed.recipients).toBe(18);
    expect(ws.states()).toEqual({ sent: 5, pending: 13 });
  });

  it('recount reports drift and --max-drift refuses to send (65)', () => {
    ws = smsWorkspace(20);
    create(ws);
    ws.cli(['campaign', 'prepare', 'spring']);
    const h = new Database(ws.db);
    h.prepare(`UPDATE customers SET sms_opt_in = 0 WHERE id <= 4`).run();
    h.close();
    const drift = JSON.parse(ws.cli(['campaign', 'recount', 'spring', '--json']).stdout);
    expect(drift).toMatchObject({ frozen: 20, now: 16, joined: 0, left: 4, drift_percent: 20 });
    const refused = ws.cli(['campaign', 'send', 'spring', '--yes', '--max-drift', '10']);
    expect(refused.stderr).toContain('moved 20%');
    expect(refused.code).toBe(65);
    expect(ws.states()).toEqual({ pending: 20 });
    expect(ws.cli(['campaign', 'send', 'spring', '--yes', '--max-drift', '25']).code).toBe(0);
  });

  it('--dry-run renders everything and changes nothing', () => {
    ws = smsWorkspace(12);
    create(ws);
    ws.cli(['campaign', 'prepare', 'spring']);
    const r = ws.cli(['campaign', 'send', 'spring', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ dry_run: true, would_send: 12, failed: 0, sms_segments: 12 });
    expect(ws.states()).toEqual({ pending: 12 });
  });

  it('cancel stops a campaign for good', () => {
    ws = smsWorkspace(4);
    create(ws);
    ws.cli(['campaign', 'prepare', 'spring']);
    // destructive: without a terminal it needs --yes (usage error 64 naming it), and nothing changes
    const refused = ws.cli(['campaign', 'cancel', 'spring']);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain('--yes');
    expect(ws.query<{ state: string }>(`SELECT state FROM campaigns WHERE name = 'spring'`)[0]!.state).toBe('prepared');
    expect(ws.cli(['campaign', 'cancel', 'spring', '--yes']).code).toBe(0);
    const r = ws.cli(['campaign', 'send', 'spring', '--yes']);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('cancelled');
  });

  it('send --due sends scheduled campaigns whose time has come, preparing drafts', () => {
    ws = smsWorkspace(6);
    ws.cli(['campaign', 'create', '--name', 'past', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello', '--schedule', '2026-01-01T09:00:00Z', '--now']);
    ws.cli(['campaign', 'create', '--name', 'future', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello', '--schedule', '2099-01-01T09:00:00Z']);
    const r = ws.cli(['campaign', 'send', '--due', '--yes', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.due).toEqual(['past']);
    expect(out.campaigns[0].summary).toMatchObject({ sent: 6, state: 'completed' });
    expect(ws.states('future')).toEqual({});
  });

  it('send --due resumes unscheduled campaigns that only wait for time, never a canary', () => {
    ws = smsWorkspace(6);
    for (const name of ['canary', 'waits']) {
      ws.cli(['campaign', 'create', '--name', name, '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']);
      ws.cli(['campaign', 'prepare', name]);
      expect(ws.cli(['campaign', 'send', name, '--limit', '2', '--yes']).code).toBe(0);
    }
    // as a quiet-hours deferral leaves it (the rows' wait is over by now)
    const h = new Database(ws.db);
    h.prepare(`UPDATE campaigns SET pause_reason = 'waiting: 4 recipient(s) wait until 2026-01-01T09:00:00Z' WHERE name = 'waits'`).run();
    h.close();
    const r = ws.cli(['campaign', 'send', '--due', '--yes', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).due).toEqual(['waits']);
    expect(ws.states('waits')).toEqual({ sent: 6 });
    expect(ws.states('canary')).toEqual({ sent: 2, pending: 4 });
  });
});
