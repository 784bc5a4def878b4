import { afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';

let ws: ComplianceWorkspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

// ana twice: a second customer row (other external id) shares her address
const CUSTOMERS = `external_id,email,phone,country,email_opt_in,sms_opt_in,first_name
a,ana@example.org,+447911100001,GB,yes,yes,Ana
b,ben@example.org,+447911100002,GB,yes,yes,Ben
`;

function send(w: ComplianceWorkspace, name: string): void {
  expect(w.cli(['campaign', 'create', '--name', name, '--channel', 'email', '--segment', 'all-email', '--provider', 'outbox', '--template', 'news']).code).toBe(0);
  const prep = w.cli(['campaign', 'prepare', name]);
  expect(prep.code, prep.stderr).toBe(0);
  const sent = w.cli(['campaign', 'send', name, '--yes']);
  expect(sent.code, sent.stderr).toBe(0);
}

const json = <T>(r: { code: number; stdout: string; stderr: string }): T => {
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as T;
};

describe('customers history / export / forget', { timeout: 180_000 }, () => {
  it('history and export list the messages, suppressions and feedback, and say engagement is aggregate-only', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: UNSUBSCRIBE_YAML });
    send(ws, 'news');
    expect(ws.cli(['suppress', 'add', 'ana@example.org', '--channel', 'email', '--reason', 'unsubscribed']).code).toBe(0);

    const h = json<{ customer: { id: number }; messages: Array<{ campaign: string; state: string; engagement: { detail: string } }>; suppressions: unknown[]; unsubscribes: unknown[]; note: string | null }>(
      ws.cli(['customers', 'history', 'ana@example.org', '--json']),
    );
    expect(h.messages).toEqual([expect.objectContaining({ campaign: 'news', state: 'sent', engagement: expect.objectContaining({ detail: 'aggregate' }) })]);
    expect(h.suppressions).toHaveLength(1);
    expect(h.unsubscribes).toEqual([expect.objectContaining({ channel: 'email', reason: 'unsubscribed' })]);
    expect(h.note).toMatch(/individual: true/);
    const human = ws.cli(['customers', 'history', 'ana@example.org']);
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/news\s+email\s+sent/);
    expect(human.stdout).toMatch(/n\/a/);

    const doc = json<{ customer: { email: string; first_name: string }; messages: Array<{ provider_message_id: string }>; suppressions: unknown[]; notes: string[] }>(
      ws.cli(['customers', 'export', 'ana@example.org']),
    );
    expect(doc.customer).toMatchObject({ email: 'ana@example.org', first_name: 'Ana' });
    expect(doc.messages[0]!.provider_message_id).toBeTruthy();
    expect(doc.suppressions).toHaveLength(1);
    expect(doc.notes.length).toBeGreaterThan(0);

    expect(ws.cli(['customers', 'history', 'nobody@example.org']).code).toBe(65);
  });

  it('forget: refuses without --yes off a terminal; erases, anonymises, and a re-import or a prepare never brings the person back', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: UNSUBSCRIBE_YAML });
    send(ws, 'news');
    expect(ws.cli(['suppress', 'add', 'ana@example.org', '--channel', 'email', '--reason', 'unsubscribed']).code).toBe(0);

    const refused = ws.cli(['customers', 'forget', 'ana@example.org', '--json']);
    expect(refused.code).toBe(64);
    expect(JSON.parse(refused.stderr).error.code).toBe('confirmation_required');
    expect(ws.query('SELECT id FROM customers WHERE email = ?', 'ana@example.org')).toHaveLength(1);

    const r = json<{ customers: number; hashes_kept: number; ledger_rows_anonymised: number; suppressions_removed: number }>(ws.cli(['customers', 'forget', 'ana@example.org', '--yes', '--json']));
    expect(r).toMatchObject({ customers: 1, hashes_kept: 2, ledger_rows_anonymised: 1, suppressions_removed: 1 });

    // nothing in the store names her any more
    const everywhere = ws.query<{ n: number }>(
      `SELECT (SELECT count(*) FROM customers WHERE email = 'ana@example.org' OR phone = '+447911100001')
            + (SELECT count(*) FROM campaign_recipients WHERE address = 'ana@example.org')
            + (SELECT count(*) FROM suppressions WHERE address IN ('ana@example.org', '+447911100001'))
            + (SELECT count(*) FROM feedback_events WHERE address = 'ana@example.org' OR payload LIKE '%ana@example.org%') AS n`,
    );
    expect(everywhere[0]!.n).toBe(0);
    const hash = createHash('sha256').update('email:ana@example.org').digest('hex');
    expect(ws.query('SELECT hash FROM forgotten_addresses WHERE hash = ?', hash)).toHaveLength(1);
    // the campaign's figures are unchanged: the row stays, anonymised
    expect(ws.query<{ n: number }>(`SELECT count(*) AS n FROM campaign_recipients WHERE state = 'sent'`)[0]!.n).toBe(2);

    // re-importing the old list: her row is rejected, she is not back
    const again = json<{ rejected: number; rejects: Array<{ reason: string }> }>(ws.cli(['customers', 'import', 'customers.csv', '--json']));
    expect(again.rejected).toBe(1);
    expect(again.rejects[0]!.reason).toMatch(/erased on request/);
    expect(ws.query('SELECT id FROM customers WHERE email = ?', 'ana@example.org')).toHaveLength(0);

    // another customer row holding her address (other external id) is excluded by prepare
    ws.write('more.csv', 'external_id,email,email_opt_in\nz,ben@example.org,yes\n');
    expect(ws.cli(['customers', 'import', 'more.csv']).code).toBe(0);
    expect(ws.cli(['customers', 'forget', 'ben@example.org', '--yes']).code).toBe(0);
    expect(ws.cli(['campaign', 'create', '--name', 'later', '--channel', 'email', '--segment', 'all-email', '--provider', 'outbox', '--template', 'news']).code).toBe(0);
    const prep = json<{ excluded: Record<string, number>; recipients: number }>(ws.cli(['campaign', 'prepare', 'later', '--json']));
    expect(prep.excluded.forgotten).toBe(1);
    expect(prep.recipients).toBe(0);
  });

  it('with tracking.individual: true, history and export show the person\'s own clicks, and forget deletes them', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: UNSUBSCRIBE_YAML + 'tracking:\n  base_url: https://t.shop.example.com\n  individual: true\n' });
    send(ws, 'news');
    const [ana] = ws.query<{ id: number; campaign_id: number; provider_message_id: string }>('SELECT id, campaign_id, provider_message_id FROM campaign_recipients ORDER BY id');
    const click = { eventType: 'Click', mail: { messageId: ana!.provider_message_id, tags: { delivery: [`c${ana!.campaign_id}_r${ana!.id}_a1`] } }, click: { timestamp: '2026-06-01T12:00:00.000Z', link: 'https://shop.example.com/sale' } };
    ws.write('events.jsonl', JSON.stringify({ source: 'ses', payload: click }) + '\n');
    expect(json<{ engagement: Record<string, number> }>(ws.cli(['feedback', 'import', 'events.jsonl', '--json'])).engagement).toEqual({ click: 1 });

    const h = json<{ messages: Array<{ engagement: { detail: string; clicks: number; opens: number; events: Array<{ kind: string; url: string }> } }>; note: string | null }>(ws.cli(['customers', 'history', 'ana@example.org', '--json']));
    expect(h.note).toBeNull();
    expect(h.messages[0]!.engagement).toMatchObject({ detail: 'individual', clicks: 1, events: [{ kind: 'click', url: 'https://shop.example.com/sale' }] });
    expect(ws.cli(['customers', 'history', 'ana@example.org']).stdout).toMatch(/clicks[\s\S]*https:\/\/shop\.example\.com\/sale\s+human/);
    const doc = json<{ engagement_events: unknown[] }>(ws.cli(['customers', 'export', 'ana@example.org']));
    expect(doc.engagement_events).toHaveLength(1);

    expect(json<{ engagement_events_removed: number }>(ws.cli(['customers', 'forget', 'ana@example.org', '--yes', '--json'])).engagement_events_removed).toBe(1);
    expect(ws.query('SELECT id FROM engagement_events')).toHaveLength(0);
    // the campaign's counts name nobody and stay
    expect(ws.query<{ n: number }>(`SELECT sum(count) AS n FROM engagement_hourly WHERE kind = 'click' AND link_id = 0`)[0]!.n).toBe(1);
  });
});
