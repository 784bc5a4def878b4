/**
 * `customers history / export / forget` through the built CLI, on both stores: each workspace is
 * built on SQLite (import, send, feedback import), then `db copy` moves it into PostgreSQL, and
 * every case runs against each store; history and export must print the same on both, and
 * forget must erase the same rows and report the same counts.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { numbered } from '../../src/db/pg/transaction.js';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { pgTestDatabase } from '../support/pg.js';

const pgDb = await pgTestDatabase('e2e_customer_data');
afterAll(async () => {
  await pgDb?.drop();
});

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

/** A store the workspace's data is in: the CLI's environment for it, and SQL (`?` placeholders) against it. */
interface On {
  store: string;
  env: NodeJS.ProcessEnv;
  query<T>(sql: string, ...params: unknown[]): Promise<T[]>;
}

// bigint (count(*), ids) as numbers, as SQLite gives them
const types = { getTypeParser: ((oid: number, format?: string) => (oid === 20 ? Number : (pg.types.getTypeParser as (o: number, f?: string) => unknown)(oid, format))) as typeof pg.types.getTypeParser };

/** The workspace's SQLite store, and (with a server) the same data copied into PostgreSQL. */
function stores(w: ComplianceWorkspace): On[] {
  const sqlite: On = { store: 'sqlite', env: {}, query: async (sql, ...params) => w.query(sql, ...params) };
  if (!pgDb) return [sqlite];
  // a snapshot goes up, not the file itself, which the test goes on using (a file copied up is marked moved)
  expect(w.cli(['db', 'backup', '.mkt/copy-source.db', '--force']).code).toBe(0);
  const copied = w.cli(['db', 'copy', '.mkt/copy-source.db', pgDb.url, '--replace', '--yes', '--json']);
  expect(copied.code, copied.stderr).toBe(0);
  const query = async <T,>(sql: string, ...params: unknown[]): Promise<T[]> => {
    const client = new pg.Client({ connectionString: pgDb.url, types });
    await client.connect();
    try {
      return (await client.query(numbered(sql, 0), params)).rows as T[];
    } finally {
      await client.end();
    }
  };
  return [sqlite, { store: 'postgres', env: { MKT_DB: pgDb.url }, query }];
}

/** Output that differs by nature between two runs: the export's own time stamp. */
const comparable = (text: string) => text.replace(/"exported_at": "[^"]+"/, '"exported_at": "(now)"');

describe('customers history / export / forget', { timeout: 180_000 }, () => {
  it('history and export list the messages, suppressions and feedback, and say engagement is aggregate-only', () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: UNSUBSCRIBE_YAML });
    send(ws, 'news');
    expect(ws.cli(['suppress', 'add', 'ana@example.org', '--channel', 'email', '--reason', 'unsubscribed']).code).toBe(0);

    const outputs: string[][] = [];
    for (const { store, env } of stores(ws)) {
      const w = ws;
      const h = json<{ customer: { id: number }; messages: Array<{ campaign: string; state: string; engagement: { detail: string } }>; suppressions: unknown[]; unsubscribes: unknown[]; note: string | null }>(
        w.cli(['customers', 'history', 'ana@example.org', '--json'], env),
      );
      expect(h.messages, store).toEqual([expect.objectContaining({ campaign: 'news', state: 'sent', engagement: expect.objectContaining({ detail: 'aggregate' }) })]);
      expect(h.suppressions).toHaveLength(1);
      expect(h.unsubscribes).toEqual([expect.objectContaining({ channel: 'email', reason: 'unsubscribed' })]);
      expect(h.note).toMatch(/individual: true/);
      const human = w.cli(['customers', 'history', 'ana@example.org'], env);
      expect(human.code).toBe(0);
      expect(human.stdout).toMatch(/news\s+email\s+sent/);
      expect(human.stdout).toMatch(/n\/a/);

      const exported = w.cli(['customers', 'export', 'ana@example.org'], env);
      const doc = json<{ customer: { email: string; first_name: string }; messages: Array<{ provider_message_id: string }>; suppressions: unknown[]; notes: string[] }>(exported);
      expect(doc.customer).toMatchObject({ email: 'ana@example.org', first_name: 'Ana' });
      expect(doc.messages[0]!.provider_message_id).toBeTruthy();
      expect(doc.suppressions).toHaveLength(1);
      expect(doc.notes.length).toBeGreaterThan(0);

      expect(w.cli(['customers', 'history', 'nobody@example.org'], env).code, store).toBe(65);
      outputs.push([w.cli(['customers', 'history', 'ana@example.org', '--json'], env).stdout, human.stdout, comparable(exported.stdout)]);
    }
    // PostgreSQL prints what SQLite prints
    for (const o of outputs.slice(1)) expect(o).toEqual(outputs[0]);
  });

  it('forget: refuses without --yes off a terminal; erases, anonymises, and a re-import or a prepare never brings the person back', async () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: UNSUBSCRIBE_YAML });
    send(ws, 'news');
    expect(ws.cli(['suppress', 'add', 'ana@example.org', '--channel', 'email', '--reason', 'unsubscribed']).code).toBe(0);

    const counts: unknown[] = [];
    // PostgreSQL first: the copy is taken before SQLite's own data is erased
    for (const { store, env, query } of stores(ws).reverse()) {
      const w = ws;
      const refused = w.cli(['customers', 'forget', 'ana@example.org', '--json'], env);
      expect(refused.code, store).toBe(64);
      expect(JSON.parse(refused.stderr).error.code).toBe('confirmation_required');
      expect(await query('SELECT id FROM customers WHERE email = ?', 'ana@example.org')).toHaveLength(1);

      const r = json<{ customers: number; hashes_kept: number; ledger_rows_anonymised: number; suppressions_removed: number }>(w.cli(['customers', 'forget', 'ana@example.org', '--yes', '--json'], env));
      expect(r, store).toMatchObject({ customers: 1, hashes_kept: 2, ledger_rows_anonymised: 1, suppressions_removed: 1 });
      counts.push(r);

      // nothing in the store names her any more
      const everywhere = await query<{ n: number }>(
        `SELECT (SELECT count(*) FROM customers WHERE email = 'ana@example.org' OR phone = '+447911100001')
              + (SELECT count(*) FROM campaign_recipients WHERE address = 'ana@example.org')
              + (SELECT count(*) FROM suppressions WHERE address IN ('ana@example.org', '+447911100001'))
              + (SELECT count(*) FROM feedback_events WHERE address = 'ana@example.org' OR payload LIKE '%ana@example.org%') AS n`,
      );
      expect(everywhere[0]!.n, store).toBe(0);
      const hash = createHash('sha256').update('email:ana@example.org').digest('hex');
      expect(await query('SELECT hash FROM forgotten_addresses WHERE hash = ?', hash)).toHaveLength(1);
      // the campaign's figures are unchanged: the row stays, anonymised
      expect((await query<{ n: number }>(`SELECT count(*) AS n FROM campaign_recipients WHERE state = 'sent'`))[0]!.n).toBe(2);
      expect(w.cli(['customers', 'history', 'ana@example.org'], env).code).toBe(65);
    }
    for (const c of counts.slice(1)) expect(c).toEqual(counts[0]);

    // (SQLite: customers import does not run on PostgreSQL yet)
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

  it("with tracking.individual: true, history and export show the person's own clicks, and forget deletes them", async () => {
    ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: UNSUBSCRIBE_YAML + 'tracking:\n  base_url: https://t.shop.example.com\n  individual: true\n' });
    send(ws, 'news');
    const [ana] = ws.query<{ id: number; campaign_id: number; provider_message_id: string }>('SELECT id, campaign_id, provider_message_id FROM campaign_recipients ORDER BY id');
    const click = { eventType: 'Click', mail: { messageId: ana!.provider_message_id, tags: { delivery: [`c${ana!.campaign_id}_r${ana!.id}_a1`] } }, click: { timestamp: '2026-06-01T12:00:00.000Z', link: 'https://shop.example.com/sale' } };
    ws.write('events.jsonl', JSON.stringify({ source: 'ses', payload: click }) + '\n');
    expect(json<{ engagement: Record<string, number> }>(ws.cli(['feedback', 'import', 'events.jsonl', '--json'])).engagement).toEqual({ click: 1 });

    const outputs: string[][] = [];
    for (const { store, env, query } of stores(ws).reverse()) {
      const w = ws;
      const history = w.cli(['customers', 'history', 'ana@example.org', '--json'], env);
      const h = json<{ messages: Array<{ engagement: { detail: string; clicks: number; opens: number; events: Array<{ kind: string; url: string }> } }>; note: string | null }>(history);
      expect(h.note, store).toBeNull();
      expect(h.messages[0]!.engagement).toMatchObject({ detail: 'individual', clicks: 1, events: [{ kind: 'click', url: 'https://shop.example.com/sale' }] });
      const human = w.cli(['customers', 'history', 'ana@example.org'], env);
      expect(human.stdout).toMatch(/clicks[\s\S]*https:\/\/shop\.example\.com\/sale\s+human/);
      const exported = w.cli(['customers', 'export', 'ana@example.org'], env);
      expect(json<{ engagement_events: unknown[] }>(exported).engagement_events).toHaveLength(1);

      const forgot = w.cli(['customers', 'forget', 'ana@example.org', '--yes', '--json'], env);
      expect(json<{ engagement_events_removed: number }>(forgot).engagement_events_removed, store).toBe(1);
      expect(await query('SELECT id FROM engagement_events')).toHaveLength(0);
      // the campaign's counts name nobody and stay
      expect((await query<{ n: number }>(`SELECT CAST(sum(count) AS INTEGER) AS n FROM engagement_hourly WHERE kind = 'click' AND link_id = 0`))[0]!.n).toBe(1);
      outputs.push([history.stdout, human.stdout, comparable(exported.stdout), forgot.stdout]);
    }
    for (const o of outputs.slice(1)) expect(o).toEqual(outputs[0]);
  });
});
