/**
 * Tracking and feedback writes through the built CLI on both stores: a tracked send records its
 * links, `mkt serve` redirects and counts clicks, takes a one-click unsubscribe, `feedback
 * import` applies SES events; the same steps give the same --json and the same rows on SQLite
 * and on PostgreSQL (MKT_DB=postgres://…, the workspace moved up with `db copy`). Then serve on
 * a private PostgreSQL server that goes down: it still answers, spools, and replays once the
 * server is back (and the next command that writes replays what a stopped serve left).
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { privatePostgres, type PrivatePostgres } from '../chaos/private-postgres.js';
import { complianceWorkspace, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { runCli } from '../support/cli.js';
import { pgTestDatabase } from '../support/pg.js';
import { startServe } from '../support/serve-process.js';
import { CUSTOMERS, EMAIL, emlOf, LATER, local, MKT_YAML, oneClick, sendNews, tracked, unsubscribeUrl, waitFor } from '../support/tracked-mail.js';

const pgDb = await pgTestDatabase('e2e_serve');
afterAll(async () => {
  await pgDb?.drop();
});

/** A compliance workspace whose store is SQLite, or a PostgreSQL database it was copied up to (customers imported, nothing else). */
interface StoreWorkspace {
  ws: ComplianceWorkspace;
  env: NodeJS.ProcessEnv;
  cli(args: string[], extra?: NodeJS.ProcessEnv): ReturnType<typeof runCli>;
  /** SQL both stores read alike, no parameters. */
  query<T>(sql: string): Promise<T[]>;
}

async function storeWorkspace(url: string | undefined): Promise<StoreWorkspace> {
  const ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: MKT_YAML });
  ws.write('templates/email/tracked.mjml', EMAIL);
  let env: NodeJS.ProcessEnv = ws.env;
  if (url) {
    const copied = ws.cli(['db', 'copy', ws.db, url, '--replace', '--yes', '--json']);
    expect(copied.code, copied.stderr).toBe(0);
    env = { ...ws.env, MKT_DB: url };
  }
  return {
    ws,
    env,
    cli: (args, extra = {}) => runCli(args, { cwd: ws.dir, env: { ...env, ...extra } }),
    query: async <T>(sql: string): Promise<T[]> => {
      if (!url) {
        const db = new Database(ws.db, { readonly: true });
        try {
          return db.prepare(sql).all() as T[];
        } finally {
          db.close();
        }
      }
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        return (await client.query(sql)).rows as T[];
      } finally {
        await client.end();
      }
    },
  };
}

const sns = (message: unknown) => ({ Type: 'Notification', MessageId: 'sns-1', TopicArn: 'arn:aws:sns:eu-west-1:123456789012:ses-feedback', Message: JSON.stringify(message) });

/** The whole flow on one store; what it returns must not depend on the store. */
async function flow(s: StoreWorkspace): Promise<Record<string, unknown>> {
  const { ws } = s;
  sendNews(s.cli);
  const links = await s.query('SELECT link_id, url, kind FROM campaign_links ORDER BY link_id');

  const serve = await startServe(ws.dir, { ...s.env, MKT_NOW: LATER });
  let answers: unknown[];
  try {
    const [sale, pick] = tracked(emlOf(ws, 'ana@example.org'));
    const get = (u: string, init: RequestInit = {}) => fetch(local(serve, u), { redirect: 'manual', ...init });
    const redirects = [await get(sale!), await get(sale!, { method: 'HEAD' }), await get(pick!), await get(pick!)];
    const pixel = /https:\/\/t\.shop\.example\/o\/[A-Za-z0-9_.-]+\.gif/.exec(emlOf(ws, 'cy@example.org'))![0];
    const open = await get(pixel, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36' } });
    const unsub = await oneClick(serve, unsubscribeUrl(emlOf(ws, 'ben@example.org')));
    answers = [...redirects.map((r) => [r.status, r.headers.get('location')]), open.status, unsub.status];
    await waitFor(async () => (await s.query("SELECT 1 FROM suppressions WHERE address = 'ben@example.org'")).length === 1, 'the opt-out');
    await waitFor(async () => (await s.query("SELECT 1 FROM engagement_hourly WHERE kind = 'open' AND link_id = 0 AND count > 0")).length === 1, 'the hits');
  } finally {
    await serve.stop();
  }
  const hourly = await s.query('SELECT link_id, kind, machine, sum(count) AS count, sum(unique_count) AS unique_count FROM engagement_hourly GROUP BY link_id, kind, machine ORDER BY kind, link_id, machine');

  const rows = await s.query<{ id: number; address: string; provider_message_id: string; campaign_id: number }>('SELECT id, address, provider_message_id, campaign_id FROM campaign_recipients ORDER BY id');
  const mail = (r: (typeof rows)[number]) => ({ messageId: r.provider_message_id, destination: [r.address], tags: { delivery: [`c${r.campaign_id}_r${r.id}_a1`] }, timestamp: '2026-03-02T11:59:00.000Z' });
  const [ana, , cy] = rows;
  ws.write(
    'ses.jsonl',
    [
      sns({ eventType: 'Delivery', mail: mail(ana!), delivery: { timestamp: '2026-03-02T12:00:01.000Z', recipients: [ana!.address] } }),
      sns({ eventType: 'Bounce', mail: mail(cy!), bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: cy!.address }] } }),
      sns({ eventType: 'Open', mail: mail(ana!), open: { timestamp: '2026-03-02T12:05:00.000Z', userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36' } }),
    ]
      .map((e) => JSON.stringify(e))
      .join('\n') + '\n',
  );
  const imported = s.cli(['feedback', 'import', 'ses.jsonl', '--source', 'ses', '--json']);
  expect(imported.code, imported.stderr).toBe(0);
  const again = s.cli(['feedback', 'import', 'ses.jsonl', '--source', 'ses', '--json']);
  const status = s.cli(['campaign', 'status', 'news', '--json']);
  expect(status.code, status.stderr).toBe(0);
  const { delivery, counts } = JSON.parse(status.stdout) as { delivery: unknown; counts: unknown };
  return {
    links,
    answers,
    hourly: hourly.map((r) => ({ ...(r as object), count: Number((r as { count: unknown }).count), unique_count: Number((r as { unique_count: unknown }).unique_count) })),
    suppressions: await s.query('SELECT channel, address, reason, source FROM suppressions ORDER BY address'),
    ledger: await s.query('SELECT address, state, delivery_status FROM campaign_recipients ORDER BY id'),
    imported: JSON.parse(imported.stdout),
    again: JSON.parse(again.stdout),
    status: { delivery, counts },
  };
}

describe('tracking, serve and feedback import on both stores', { timeout: 240_000 }, () => {
  const done: ComplianceWorkspace[] = [];
  afterAll(() => {
    for (const ws of done) ws.cleanup();
  });

  it.skipIf(!pgDb)('give the same links, redirects, counts, opt-outs, ledger and --json on SQLite and PostgreSQL', async () => {
    const lite = await storeWorkspace(undefined);
    done.push(lite.ws);
    const expected = await flow(lite);
    // the SQLite run is the reference: it must itself be right
    expect(expected.links).toHaveLength(4);
    expect(expected.answers).toEqual([
      [302, 'https://shop.example/sale'],
      [302, 'https://shop.example/sale'],
      [302, 'https://shop.example/p/a'],
      [302, 'https://shop.example/p/a'],
      200,
      200,
    ]);
    // ana: a GET and a HEAD (machine) on the sale, two GETs on her pick; cy's open pixel
    expect(expected.hourly).toEqual([
      { link_id: 0, kind: 'click', machine: 0, count: 3, unique_count: 1 },
      { link_id: 0, kind: 'click', machine: 1, count: 1, unique_count: 1 },
      { link_id: 1, kind: 'click', machine: 0, count: 1, unique_count: 1 },
      { link_id: 1, kind: 'click', machine: 1, count: 1, unique_count: 1 },
      { link_id: 2, kind: 'click', machine: 0, count: 2, unique_count: 1 },
      { link_id: 0, kind: 'open', machine: 0, count: 1, unique_count: 2 },
    ]);
    expect(expected.suppressions).toEqual([
      { channel: 'email', address: 'ben@example.org', reason: 'unsubscribed', source: 'unsubscribe:c1' },
      { channel: 'email', address: 'cy@example.org', reason: 'bounced', source: 'feedback:ses' },
    ]);
    expect(expected.imported).toMatchObject({ read: 3, events: 3, matched: 3, suppressed: 1, delivery: { delivered: 1, bounced: 1 } });
    expect(expected.again).toMatchObject({ suppressed: 0, delivery: {}, engagement: {} });

    const pgs = await storeWorkspace(pgDb!.url);
    done.push(pgs.ws);
    expect(await flow(pgs)).toEqual(expected);
  });
});

describe('serve on a PostgreSQL server that goes down', { timeout: 240_000 }, () => {
  let server: PrivatePostgres | undefined;
  let ws: ComplianceWorkspace | undefined;
  afterAll(async () => {
    await server?.stop();
    ws?.cleanup();
  });

  it('answers the opt-out 200 and the redirect 302 while it is down, spools them, replays when it is back; the next write replays what a stopped serve left', async (t) => {
    server = await privatePostgres();
    if (!server) return t.skip();
    const s = await storeWorkspace(server.url);
    ws = s.ws;
    sendNews(s.cli);
    const spools = () => readdirSync(path.join(s.ws.dir, '.mkt')).filter((f) => f.includes('-serve-spool.'));
    const suppressed = async () => (await s.query<{ address: string }>('SELECT address FROM suppressions ORDER BY address')).map((r) => r.address);
    const [sale] = tracked(emlOf(s.ws, 'ana@example.org'));

    let serve = await startServe(s.ws.dir, { ...s.env, MKT_NOW: LATER });
    try {
      // the link is known to this server (one read), then the database goes away
      expect((await fetch(local(serve, sale!), { redirect: 'manual' })).status).toBe(302);
      // and its hit is written (the next batch, 200 ms on), so the outage meets exactly the next hit
      const clicks = async () => Number((await s.query<{ n: number }>("SELECT coalesce(sum(count), 0) AS n FROM engagement_hourly WHERE kind = 'click' AND link_id = 1"))[0]!.n);
      await waitFor(async () => (await clicks()) === 1, 'the first click written');
      await server.halt();
      expect((await oneClick(serve, unsubscribeUrl(emlOf(s.ws, 'ben@example.org')))).status).toBe(200);
      const click = await fetch(local(serve, sale!), { redirect: 'manual' });
      expect([click.status, click.headers.get('location')]).toEqual([302, 'https://shop.example/sale']);
      await waitFor(async () => /tracking: 1 hit\(s\): spooled/.test(serve.log()), 'the hits spooled');
      expect(serve.log()).toMatch(/unsubscribe \S+: spooled \(database busy\)/);
      expect(spools()).toHaveLength(1);
      await server.start();
      await waitFor(async () => (await suppressed()).includes('ben@example.org'), 'the replay');
      expect(serve.log()).toMatch(/replayed \d+ spooled record\(s\) into the database/);
      await waitFor(async () => (await clicks()) === 2, 'both clicks counted');

      // down again, and serve stops before it is back: the spool stays for the next command that writes
      await server.halt();
      expect((await oneClick(serve, unsubscribeUrl(emlOf(s.ws, 'cy@example.org')))).status).toBe(200);
    } finally {
      await serve.stop();
    }
    expect(serve.log()).toMatch(/spooled record\(s\) stay in/);
    expect(spools()).toHaveLength(1);
    await server.start();
    const add = s.cli(['suppress', 'add', 'dee@example.org', '--channel', 'email']);
    expect(add.code, add.stderr).toBe(0);
    expect(await suppressed()).toEqual(['ben@example.org', 'cy@example.org', 'dee@example.org']);
    expect(spools()).toEqual([]);
    serve = await startServe(s.ws.dir, { ...s.env, MKT_NOW: LATER });
    await serve.stop();
  });
});

describe('serve on a PostgreSQL server that stops answering in the middle of a transaction', { timeout: 240_000 }, () => {
  let server: PrivatePostgres | undefined;
  let ws: ComplianceWorkspace | undefined;
  afterAll(async () => {
    await server?.stop();
    ws?.cleanup();
  });

  it('answers the opt-out 200 within the statement deadline, spooled, and replays it once the server runs again', async (t) => {
    server = await privatePostgres();
    if (!server) return t.skip();
    const s = await storeWorkspace(server.url);
    ws = s.ws;
    sendNews(s.cli);
    const suppressed = async () => (await s.query<{ address: string }>('SELECT address FROM suppressions ORDER BY address')).map((r) => r.address);
    const serve = await startServe(s.ws.dir, { ...s.env, MKT_NOW: LATER });
    const locker = new pg.Client({ connectionString: server.url });
    try {
      // a first opt-out is committed: serve now holds an open connection in its pool
      expect((await oneClick(serve, unsubscribeUrl(emlOf(s.ws, 'ana@example.org')))).status).toBe(200);
      expect(await suppressed()).toEqual(['ana@example.org']);

      // the next one's transaction has begun and waits inside it (on a lock held here) when the server halts
      await locker.connect();
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE suppressions IN EXCLUSIVE MODE');
      const started = Date.now();
      const answer = oneClick(serve, unsubscribeUrl(emlOf(s.ws, 'ben@example.org')));
      // before the fix this request never answered: the signal ends the test instead of hanging it
      const bounded = Promise.race([answer, new Promise<never>((_r, reject) => setTimeout(() => reject(new Error('no answer within 20 s')), 20_000))]);
      // (asked on a connection of its own: inside a transaction pg_stat_activity is a snapshot)
      await waitFor(
        async () => (await s.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO suppressions%'")).length === 1,
        'serve waiting inside its transaction',
      );
      server.freeze();
      expect((await bounded).status).toBe(200);
      const waited = Date.now() - started;
      expect(serve.log()).toMatch(/unsubscribe \S+: spooled \(database busy\)/);
      expect(serve.log()).toMatch(/did not answer within 3000 ms/);
      expect(waited).toBeLessThan(15_000);

      server.thaw();
      await locker.query('ROLLBACK');
      await waitFor(async () => (await suppressed()).includes('ben@example.org'), 'the replay');
      expect(serve.log()).toMatch(/replayed 1 spooled record\(s\) into the database/);
      expect(await suppressed()).toEqual(['ana@example.org', 'ben@example.org']);
    } finally {
      server.thaw();
      await locker.end().catch(() => {});
      await serve.stop();
    }
  });
});
