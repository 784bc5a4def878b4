/**
 * An A/B test with `metric: clicks` in the default (aggregate) privacy mode, through the built
 * CLI: no per-recipient events exist, so the winner is read from the seen-set. The clicks are
 * real ones, through `mkt serve` /c/<token> on the links of one variant's messages; after
 * `wait` (MKT_NOW) the next send picks that variant and sends it to the rest.
 *
 * On PostgreSQL: the same ledger and seen-set, copied with `mkt db copy` just before the decision,
 * read the same: status per variant, and the decision (the same ab_test, the same figures after).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { pgE2eStore, type E2eStore } from '../support/e2e-stores.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';

const N = 40;
const CUSTOMERS = ['external_id,email,country,email_opt_in,first_name', ...Array.from({ length: N }, (_, i) => `c${i},kim${i}@example.org,GB,yes,Kim${i}`)].join('\n') + '\n';
const EMAIL = `---
subject: "News"
---
<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ first_name }}, <a href="https://shop.example/sale">the sale</a></mj-text>
<mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>
`;
const T0 = '2026-06-01T10:00:00.000Z';

let ws: ComplianceWorkspace | undefined;
let serve: ServeProcess | undefined;
let pgStore: E2eStore | undefined;
afterAll(async () => {
  await serve?.stop();
  await pgStore?.close();
  ws?.cleanup();
});

const trackedIn = (eml: string) => {
  const body = eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return [...new Set([...body.matchAll(/https:\/\/t\.shop\.example\/c\/[A-Za-z0-9_.-]+/g)].map((m) => m[0]))];
};

describe('A/B test on clicks, aggregate tracking', { timeout: 180_000 }, () => {
  it('counts human clicks per variant from the seen-set and picks the clicked variant', async () => {
    const w = (ws = complianceWorkspace({ customers: CUSTOMERS, mktYaml: UNSUBSCRIBE_YAML + 'tracking:\n  base_url: https://t.shop.example\n  bot_click_window: 30\n' }));
    w.write('templates/email/news.mjml', EMAIL);
    w.write(
      'campaigns/ab.yaml',
      'channel: email\nsegment: all-email\nprovider: outbox\ntemplate: news\n' +
        'variants:\n  a: { subject: "Offer A" }\n  b: { subject: "Offer B" }\ntest: { fraction: 50%, metric: clicks, wait: 4h }\n',
    );
    for (const args of [
      ['campaign', 'create', '--file', 'campaigns/ab.yaml'],
      ['campaign', 'prepare', 'ab'],
    ]) {
      const r = w.cli(args, { MKT_NOW: T0 });
      expect(r.code, r.stderr).toBe(0);
    }
    expect(w.cli(['campaign', 'send', 'ab', '--yes'], { MKT_NOW: T0 }).code).toBe(75); // the rest waits for the winner
    const rows = w.query<{ id: number; email: string; variant: string }>(
      `SELECT r.id, c.email, r.variant FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id WHERE r.variant IS NOT NULL AND r.sent_at IS NOT NULL ORDER BY r.id`,
    );
    const a = rows.filter((r) => r.variant === 'a');
    const b = rows.filter((r) => r.variant === 'b');
    expect(a.length).toBeGreaterThan(2);
    expect(b.length).toBeGreaterThan(2);
    const held = N - rows.length;
    expect(held).toBeGreaterThan(0);

    const dir = path.join(w.dir, '.mkt', 'outbox', 'ab');
    const emls = readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8'));
    const linkOf = (email: string) => trackedIn(emls.find((t) => t.includes(`To: ${email}`))!)[0]!;
    serve = await startServe(w.dir, { ...w.env, MKT_NOW: '2026-06-01T11:00:00.000Z' });
    // every B recipient clicks (one of them twice: still one unique), one A recipient clicks
    const clickers = [...b, b[0]!, a[0]!];
    for (const r of clickers) {
      const res = await fetch(serve.base + new URL(linkOf(r.email)).pathname, { redirect: 'manual' });
      expect(res.status).toBe(302);
    }
    const seen = () => w.query<{ n: number }>(`SELECT count(*) AS n FROM engagement_seen WHERE kind = 'click' AND link_id = 0 AND machine = 0`)[0]!.n;
    for (let i = 0; i < 100 && seen() < b.length + 1; i++) await new Promise((r) => setTimeout(r, 50));
    await serve.stop();
    serve = undefined;
    // aggregate mode: nothing per recipient was stored
    expect(w.query<{ n: number }>('SELECT count(*) AS n FROM engagement_events')[0]!.n).toBe(0);

    // the same ledger and seen-set on PostgreSQL (skipped without a server, unless MKT_TEST_PG=required)
    pgStore = await pgE2eStore('e2e_ab_clicks', w.dir, w.db);
    const onPg = pgStore?.env ?? {};
    const statusOf = (env: NodeJS.ProcessEnv) => JSON.parse(w.cli(['campaign', 'status', 'ab', '--json'], env).stdout).variants as unknown;
    const before = statusOf({});
    if (pgStore) expect(statusOf(onPg)).toEqual(before);

    const decide = w.cli(['campaign', 'send', 'ab', '--yes', '--json'], { MKT_NOW: '2026-06-01T14:30:00.000Z' });
    expect(decide.code, decide.stderr).toBe(0);
    expect(decide.stderr).toContain(`A/B test: variant b: ${b.length} clicks of ${b.length} sent (100.00%)`);
    expect(decide.stderr).toContain(`A/B test: variant a: 1 clicks of ${a.length} sent`);
    expect(decide.stderr).toContain(`A/B test: winner b (higher clicks rate); sending it to the other ${held} recipient(s)`);
    const ab = JSON.parse(decide.stdout).ab_test;
    expect(ab.figures).toEqual([
      { variant: 'b', sent: b.length, successes: b.length, rate: 1 },
      { variant: 'a', sent: a.length, successes: 1, rate: 1 / a.length },
    ]);
    expect(w.query<{ v: string; n: number }>(`SELECT variant AS v, count(*) AS n FROM campaign_recipients WHERE state = 'sent' GROUP BY variant ORDER BY variant`)).toEqual([
      { v: 'a', n: a.length },
      { v: 'b', n: N - a.length },
    ]);

    if (pgStore) {
      const pgDecide = w.cli(['campaign', 'send', 'ab', '--yes', '--json'], { ...onPg, MKT_NOW: '2026-06-01T14:30:00.000Z' });
      expect(pgDecide.code, pgDecide.stderr).toBe(0);
      expect(JSON.parse(pgDecide.stdout).ab_test).toEqual(ab);
      expect(statusOf(onPg)).toEqual(statusOf({}));
    }

    // status --json carries each variant's metric; the HTML report's variants table shows the same numbers
    const status = JSON.parse(w.cli(['campaign', 'status', 'ab', '--json']).stdout);
    expect(status.variants.map((v: { variant: string; metric: unknown }) => [v.variant, v.metric])).toEqual([
      ['a', { name: 'clicks', count: 1, rate: 1 / a.length, leads: false }],
      ['b', { name: 'clicks', count: b.length, rate: b.length / (N - a.length), leads: true }],
    ]);
    const report = w.cli(['campaign', 'report', 'ab', '--html', 'report.html']);
    expect(report.code, report.stderr).toBe(0);
    const html = readFileSync(path.join(w.dir, 'report.html'), 'utf8');
    expect(html).toContain('<h2>A/B test (variants)</h2>');
    const cells = [...html.matchAll(/data-figure="(variants\.[^"]+)">([^<]*)</g)].map((m) => [m[1]!, m[2]!] as const);
    expect(cells).toHaveLength(2 * 5);
    const at = (p: string): unknown => p.split('.').reduce<any>((o, k) => o?.[k], status);
    for (const [p, text] of cells) expect(text, p).toBe(p.endsWith('.rate') ? `${((at(p) as number) * 100).toFixed(2)}%` : String(at(p)));
    expect(html).toMatch(/<td data-figure="variants\.1\.metric\.rate">[^<]*<\/td><td>yes<\/td>/);
  });
});
