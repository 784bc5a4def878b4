import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { pgTestDatabase } from '../support/pg.js';

/**
 * The read side of results through the built CLI: `campaign links`, `campaign compare`, and the
 * HTML report in real headless Chromium (no console error, no request leaves the page, a
 * screenshot, and every number on the page equal to `campaign status --json`).
 *
 * On both stores: the workspace is built on SQLite (send, feedback import), then `db copy`
 * moves it into PostgreSQL, and every case runs against each; the read commands must print the
 * same bytes on both.
 */
const pgDb = await pgTestDatabase('e2e_results');
const STORES: Array<{ store: string; env: NodeJS.ProcessEnv }> = [{ store: 'sqlite', env: {} }, ...(pgDb ? [{ store: 'postgres', env: { MKT_DB: pgDb.url } }] : [])];
/** The report's "report of" time, near-fixed so that both stores' pages can be compared. */
const AT = { MKT_NOW: '2026-06-02T09:00:00.000Z' };
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

const CUSTOMERS = `external_id,email,country,email_opt_in,first_name
a,ana@example.org,GB,yes,Ana
b,ben@example.org,GB,yes,Ben
c,cy@example.org,GB,yes,Cy
d,dee@example.org,GB,yes,Dee
`;
const SALE = 'https://shop.example.com/sale';
const NEW = 'https://shop.example.com/new?x=<b>';

interface Row {
  id: number;
  campaign_id: number;
  address: string;
  provider_message_id: string;
}

let ws: ComplianceWorkspace;
let status: Record<string, any>;

const mail = (r: Row, at: string) => ({ messageId: r.provider_message_id, destination: [r.address], tags: { delivery: [`c${r.campaign_id}_r${r.id}_a1`] }, timestamp: at });
const ses = (eventType: string, r: Row, at: string, extra: Record<string, unknown>) => ({ source: 'ses', payload: { eventType, mail: mail(r, at), ...extra } });

function send(name: string): Row[] {
  expect(ws.cli(['campaign', 'create', '--name', name, '--channel', 'email', '--segment', 'all-email', '--provider', 'outbox', '--template', 'news']).code).toBe(0);
  expect(ws.cli(['campaign', 'prepare', name]).code).toBe(0);
  const sent = ws.cli(['campaign', 'send', name, '--yes']);
  expect(sent.code, sent.stderr).toBe(0);
  return ws.query<Row>('SELECT r.id, r.campaign_id, r.address, r.provider_message_id FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = ? ORDER BY r.id', name);
}

beforeAll(() => {
  ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: UNSUBSCRIBE_YAML });
  const [ana, ben, cy, dee] = send('news') as [Row, Row, Row, Row];
  send('later');
  const events = [
    ses('Delivery', ana, '2026-06-01T10:00:00.000Z', { delivery: { timestamp: '2026-06-01T10:00:01.000Z', recipients: [ana.address] } }),
    ses('Delivery', ben, '2026-06-01T10:00:00.000Z', { delivery: { timestamp: '2026-06-01T10:00:02.000Z', recipients: [ben.address] } }),
    ses('Delivery', cy, '2026-06-01T10:00:00.000Z', { delivery: { timestamp: '2026-06-01T10:00:03.000Z', recipients: [cy.address] } }),
    ses('Bounce', dee, '2026-06-01T10:00:00.000Z', { bounce: { bounceType: 'Permanent', bounceSubType: 'General', bouncedRecipients: [{ emailAddress: dee.address }], timestamp: '2026-06-01T10:00:04.000Z' } }),
    ses('Open', ana, '2026-06-01T10:00:00.000Z', { open: { timestamp: '2026-06-01T11:10:00.000Z', userAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36' } }),
    ses('Open', ben, '2026-06-01T10:00:00.000Z', { open: { timestamp: '2026-06-01T11:20:00.000Z', userAgent: 'Mozilla/5.0 (via ggpht.com GoogleImageProxy)' } }),
    ses('Click', ana, '2026-06-01T10:00:00.000Z', { click: { timestamp: '2026-06-01T12:00:00.000Z', link: SALE } }),
    ses('Click', ana, '2026-06-01T10:00:00.000Z', { click: { timestamp: '2026-06-01T12:05:00.000Z', link: SALE } }),
    ses('Click', cy, '2026-06-01T10:00:00.000Z', { click: { timestamp: '2026-06-01T12:30:00.000Z', link: NEW } }),
  ];
  ws.write('events.jsonl', events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const imported = ws.cli(['feedback', 'import', 'events.jsonl', '--json']);
  expect(imported.code, imported.stderr).toBe(0);
  const s = ws.cli(['campaign', 'status', 'news', '--json']);
  expect(s.code, s.stderr).toBe(0);
  status = JSON.parse(s.stdout);
  if (pgDb) {
    const copied = ws.cli(['db', 'copy', '.mkt/mkt.db', pgDb.url, '--json']);
    expect(copied.code, copied.stderr).toBe(0);
  }
}, 180_000);

afterAll(async () => {
  ws?.cleanup();
  await pgDb?.drop();
});

describe.skipIf(!pgDb)('campaign results on PostgreSQL: the same output as on SQLite', { timeout: 180_000 }, () => {
  it.each([
    [['campaign', 'status', 'news', '--json']],
    [['campaign', 'status', 'news']],
    [['campaign', 'links', 'news', '--json']],
    [['campaign', 'links', 'news']],
    [['campaign', 'compare', 'news', 'later', '--json']],
    [['campaign', 'compare', 'news', 'later']],
    [['campaign', 'report', 'news']],
    [['campaign', 'report', 'news', '--format', 'json']],
    [['campaign', 'report', 'news', '--state', 'sent', '--limit', '2', '--format', 'json']],
    [['campaign', 'report', 'later', '--format', 'csv']],
  ])('%j', (args) => {
    const a = ws.cli(args);
    const b = ws.cli(args, { MKT_DB: pgDb!.url });
    expect(b.stderr).not.toMatch(/does not run on a PostgreSQL store/);
    expect({ code: b.code, stdout: b.stdout }).toEqual({ code: a.code, stdout: a.stdout });
    expect(a.code, a.stderr).toBe(0);
  });

  it('the HTML report and a report written with --out are the same files on both stores', () => {
    for (const [store, env] of [['sqlite', AT], ['postgres', { ...AT, MKT_DB: pgDb!.url }]] as const) {
      expect(ws.cli(['campaign', 'report', 'news', '--html', `same-${store}.html`], env).code).toBe(0);
      expect(ws.cli(['campaign', 'report', 'news', '--out', `same-${store}.csv`], env).code).toBe(0);
    }
    // the clock runs on from MKT_NOW: the page's own time stamp is the one thing that differs
    const read = (f: string) => readFileSync(path.join(ws.dir, f), 'utf8').replace(/report of [\d\-T:.]+Z/, 'report of (now)');
    expect(read('same-postgres.html')).toEqual(read('same-sqlite.html'));
    expect(read('same-sqlite.html')).toContain('<polyline');
    expect(read('same-postgres.csv')).toEqual(read('same-sqlite.csv'));
    expect(read('same-sqlite.csv').split('\n')).toHaveLength(6); // header, 4 rows, the final newline
  });
});

describe.each(STORES)('campaign results: links, compare, the HTML report ($store)', { timeout: 180_000 }, ({ store, env }) => {
  it('status counts a click as an open, keeps the proxy open apart, and rates over delivered', () => {
    const s = ws.cli(['campaign', 'status', 'news', '--json'], env);
    expect(s.code, s.stderr).toBe(0);
    expect(JSON.parse(s.stdout).results).toEqual(status.results);
    expect(status.results).toMatchObject({
      sent: { count: 4, rate: 1 },
      delivered: { count: 3, rate: 0.75 },
      bounced: { count: 1, rate: 0.25 },
      no_report: { count: 0 },
      unique_opens: { count: 2, rate: 0.66667 }, // ana opened; cy's click implies an open
      machine_opens: { count: 1 },
      unique_clicks: { count: 2, rate: 0.66667 },
      total_clicks: 3,
      click_through: 0.66667,
      click_to_open: 1,
    });
  });

  it('links lists each URL with total and unique clicks', () => {
    const r = ws.cli(['campaign', 'links', 'news', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).links).toEqual([
      { link_id: 1, url: SALE, kind: 'link', clicks: 2, unique_clicks: 1, machine_clicks: 0 },
      { link_id: 2, url: NEW, kind: 'link', clicks: 1, unique_clicks: 1, machine_clicks: 0 },
    ]);
    expect(ws.cli(['campaign', 'links', 'news'], env).stdout).toMatch(/https:\/\/shop\.example\.com\/sale\s+2\s+1\s+0/);
  });

  it('compare puts campaigns side by side; one campaign is a usage error', () => {
    const r = ws.cli(['campaign', 'compare', 'news', 'later', '--json'], env);
    expect(r.code, r.stderr).toBe(0);
    const x = JSON.parse(r.stdout);
    expect(x.campaigns.map((c: { campaign: string }) => c.campaign)).toEqual(['news', 'later']);
    expect(x.campaigns[0].results).toEqual(status.results);
    expect(x.campaigns[1].results.delivered).toEqual({ count: 0, rate: 0 });
    expect(x.campaigns[1].results.click_through).toBeNull();
    const human = ws.cli(['campaign', 'compare', 'news', 'later'], env);
    expect(human.stdout).toMatch(/click-through\s+66\.67%\s+–/);
    expect(ws.cli(['campaign', 'compare', 'news'], env).code).toBe(64);
  });

  it.skipIf(!haveChromium)('report --html: one private file, no request, no console error, numbers equal to status --json', async () => {
    const r = ws.cli(['campaign', 'report', 'news', '--html', 'report.html'], env);
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(ws.dir, 'report.html');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const html = readFileSync(file, 'utf8');
    expect(html).not.toMatch(/<script|<link|src=|@import|url\(/i);
    expect(html).toContain('https://shop.example.com/new?x=&lt;b&gt;');

    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 900, height: 1200 } });
      const requests: string[] = [];
      const errors: string[] = [];
      page.on('request', (q) => requests.push(q.url()));
      page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
      page.on('pageerror', (e) => errors.push(String(e)));
      const url = pathToFileURL(file).href;
      await page.goto(url, { waitUntil: 'load' });
      expect(errors).toEqual([]);
      expect(requests).toEqual([url]);
      const figures = await page.$$eval('[data-figure]', (els) => els.map((el) => [el.getAttribute('data-figure')!, (el.textContent ?? '').trim()] as [string, string]));
      expect(figures.length).toBeGreaterThan(20);
      const at = (p: string): unknown => p.split('.').reduce<any>((o, k) => o?.[k], status);
      // a sender name may hold dots: look it up whole
      const value = (p: string): unknown => (p.startsWith('by_sender.') ? status.by_sender[p.slice('by_sender.'.length)] : at(p));
      const pct = (x: number | null) => (x === null ? '–' : `${(x * 100).toFixed(2)}%`);
      for (const [p, text] of figures) {
        const v = value(p);
        expect(v, p).not.toBeUndefined();
        if (/\.rate$|click_through$|click_to_open$/.test(p)) expect(text, p).toBe(pct(v as number | null));
        else expect(text, p).toBe(String(v));
      }
      for (const h of ['Results', 'Funnel', 'Timeline (per hour, UTC)', 'Links', 'By sender', 'Errors by code']) expect(await page.locator('h2', { hasText: h }).count()).toBe(1);
      expect(await page.locator('svg polyline').count()).toBe(4);
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, `campaign-report-${store}.png`);
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(1000);
    } finally {
      await browser.close();
    }
  });
});
