/**
 * Recurring campaigns (issue 16, part 6): the example welcome campaign
 * (examples/recurring-welcome) over three simulated days with MKT_NOW. Each day new customers
 * sign up; each `send --due` run refreshes the segment, appends only the newcomers as the next
 * run and sends to them; nobody gets it twice; a second run the same day sends nothing; status
 * shows the totals and each run's counts. Through the built CLI, against the outbox, on SQLite
 * and on PostgreSQL (the same steps, the same results).
 */
import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT, runCliAsync } from '../support/cli.js';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';
import { e2eStores, onStore, type OnStore } from '../support/store-side.js';

let ws: OnStore<SmsWorkspace> | undefined;
afterEach(async () => {
  await ws?.cleanup();
  ws = undefined;
});
const STORES = await e2eStores('e2e_recurring');

const at = (iso: string) => ({ MKT_NOW: iso });
const DAYS = ['2026-05-04T06:00:00Z', '2026-05-05T06:00:00Z', '2026-05-06T06:00:00Z'];

describe.each(STORES)('recurring campaigns on $store', { timeout: 180_000 }, ({ store }) => {
  it('a daily welcome: each run sends only to the customers who signed up since; status per run', async () => {
    const w = (ws = await onStore(store, smsWorkspace(0)));
    cpSync(path.join(ROOT, 'examples', 'recurring-welcome'), w.dir, { recursive: true });
    const signUp = (day: number, n: number) => {
      const rows = Array.from({ length: n }, (_, i) => `d${day}-${i},+4917${String(30000000 + day * 100 + i).padStart(9, '0')},DE,yes,New${day}${i}`);
      writeFileSync(path.join(w.dir, `day${day}.csv`), ['external_id,phone,country,sms_opt_in,first_name', ...rows].join('\n') + '\n');
      // imported an hour before the daily job: created_at is the import time
      const t = new Date(Date.parse(DAYS[day]!) - 3_600_000).toISOString();
      w.importCsv(`day${day}.csv`, at(t));
    };
    expect(w.cli(['campaign', 'create', '--file', 'campaigns/welcome.yaml'], at('2026-05-03T12:00:00Z')).code).toBe(0);
    expect(w.cli(['campaign', 'show', 'welcome']).stdout).toMatch(/^recurring +every 1d$/m);
    expect(JSON.parse(w.cli(['campaign', 'show', 'welcome', '--json']).stdout).recurring).toEqual({ every: '1d' });

    signUp(0, 3);
    const day0 = w.cli(['campaign', 'send', '--due', '--yes'], at(DAYS[0]!));
    expect(day0.code).toBe(0);
    expect(w.states('welcome')).toEqual({ sent: 3 });

    // the same day again: no run is due, nothing is sent
    expect(w.cli(['campaign', 'send', '--due', '--yes'], at('2026-05-04T07:00:00Z')).stdout).toBe('no campaign is due\n');

    signUp(1, 2);
    // a few seconds earlier than yesterday's run: still today's run (the job's start time jitters)
    expect(w.cli(['campaign', 'send', '--due', '--yes'], at('2026-05-05T05:59:50Z')).code).toBe(0);
    expect(w.states('welcome')).toEqual({ sent: 5 });

    signUp(2, 4);
    expect(w.cli(['campaign', 'send', '--due', '--yes'], at(DAYS[2]!)).code).toBe(0);
    // day 1's customers (created 25 h ago) are still in the segment: the ledger holds each
    // customer once, so they are not sent again
    const perCustomer = w.query<{ n: number }>('SELECT count(*) AS n FROM campaign_recipients GROUP BY customer_id HAVING count(*) > 1');
    expect(perCustomer).toEqual([]);
    expect(w.states('welcome')).toEqual({ sent: 9 });
    const outbox = w.query<{ run: number; n: number }>('SELECT run, count(*) AS n FROM campaign_recipients GROUP BY run ORDER BY run');
    expect(outbox).toEqual([{ run: 1, n: 3 }, { run: 2, n: 2 }, { run: 3, n: 4 }]);

    const status = JSON.parse(w.cli(['campaign', 'status', 'welcome', '--json']).stdout);
    expect(status.recipients).toBe(9);
    expect(status.counts.sent).toBe(9);
    expect(status.runs.map((r: { run: number; recipients: number; counts: { sent: number } }) => [r.run, r.recipients, r.counts.sent])).toEqual([
      [1, 3, 3],
      [2, 2, 2],
      [3, 4, 4],
    ]);
    const text = w.cli(['campaign', 'status', 'welcome']).stdout;
    expect(text).toMatch(/^run 2 +2 recipient\(s\): sent 2, first sent 2026-05-05T05:59:5/m);
  });
});

describe.skipIf(!STORES.some((s) => s.store === 'postgres'))('two overlapping `send --due` runs on PostgreSQL', { timeout: 180_000 }, () => {
  it('start the day\'s run once: runs 1, 2, never a second run (3) in the same day, nobody sent twice', async () => {
    const w = (ws = await onStore('postgres', smsWorkspace(0)));
    cpSync(path.join(ROOT, 'examples', 'recurring-welcome'), w.dir, { recursive: true });
    const signUp = (day: number, n: number) => {
      const rows = Array.from({ length: n }, (_, i) => `d${day}-${i},+4917${String(30000000 + day * 100 + i).padStart(9, '0')},DE,yes,New${day}${i}`);
      writeFileSync(path.join(w.dir, `day${day}.csv`), ['external_id,phone,country,sms_opt_in,first_name', ...rows].join('\n') + '\n');
      w.importCsv(`day${day}.csv`, at(new Date(Date.parse(DAYS[day]!) - 3_600_000).toISOString()));
    };
    expect(w.cli(['campaign', 'create', '--file', 'campaigns/welcome.yaml'], at('2026-05-03T12:00:00Z')).code).toBe(0);
    signUp(0, 3);
    expect(w.cli(['campaign', 'send', '--due', '--yes'], at(DAYS[0]!)).code).toBe(0);
    signUp(1, 2);
    const url = w.env.MKT_DB!;
    const sendDue = (now: string) => runCliAsync(['campaign', 'send', '--due', '--yes'], { cwd: w.dir, env: { ...w.env, ...at(now) } });
    const client = async () => {
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      return c;
    };
    const [holder, locker, look] = [await client(), await client(), await client()];
    // backends of this database waiting for a lock, by the kind of lock (pg_stat_activity cuts long statements short)
    const waiting = async (event: string) =>
      Number((await look.query<{ n: number }>("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND wait_event LIKE $1", [event])).rows[0]!.n);
    const until = async (check: () => Promise<boolean>, what: string) => {
      for (let i = 0; i < 400; i++) if (await check()) return;
      else await new Promise((r) => setTimeout(r, 25));
      throw new Error(`timed out waiting for ${what}`);
    };
    try {
      // Run A is made to wait for its prepare's lock (a row of the campaign, not yet committed,
      // holds a key lock on the campaign's row), and a lock on the campaign's row is queued behind
      // it: A prepares, commits its list, and then waits for that lock to write the rest of its
      // prepare (the plan, the prepare time). That is the moment run B starts.
      const [first] = w.query<{ id: number; phone: string }>("SELECT id, phone FROM customers WHERE external_id = 'd1-0'");
      await holder.query('BEGIN');
      await holder.query("INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at, run) VALUES (1, $1, $2, 'pending', 0, 0, 99)", [first!.id, first!.phone]);
      const a = sendDue(DAYS[1]!);
      await until(async () => (await waiting('transactionid')) === 1, 'run A waiting for its prepare lock');
      await locker.query('BEGIN');
      const locked = locker.query('SELECT 1 FROM campaigns WHERE id = 1 FOR UPDATE');
      await until(async () => (await waiting('%')) === 2, 'the campaign lock queued behind run A');
      await holder.query('ROLLBACK');
      await locked;
      // A's list is committed; a customer signs up, and run B starts
      await look.query("INSERT INTO customers (external_id, phone, country, sms_opt_in, first_name, created_at, updated_at) VALUES ('late', '+4917300000999', 'DE', true, 'Late', $1, $1)", [Date.parse(DAYS[1]!) - 60_000]);
      let bDone = false;
      const b = sendDue('2026-05-05T06:01:00Z').finally(() => (bDone = true));
      await until(async () => bDone || (await waiting('%')) >= 2, 'run B ended or waiting for the campaign lock');
      await locker.query('COMMIT');
      const [ra, rb] = await Promise.all([a, b]);
      expect(ra.code, ra.stderr).toBe(0);
      expect(rb.code, rb.stderr).toBe(0);
    } finally {
      for (const c of [holder, locker, look]) await c.end().catch(() => {});
    }
    // A's run 2 took day 1's sign-ups; B started no run of its own (the late sign-up waits for tomorrow's)
    expect(w.query<{ run: number; n: number }>('SELECT run, count(*) AS n FROM campaign_recipients GROUP BY run ORDER BY run').map((r) => [r.run, Number(r.n)])).toEqual([
      [1, 3],
      [2, 2],
    ]);
    expect(w.query('SELECT customer_id FROM campaign_recipients GROUP BY customer_id HAVING count(*) > 1')).toEqual([]);
    expect(w.states('welcome')).toEqual({ sent: 5 });
  });
});
