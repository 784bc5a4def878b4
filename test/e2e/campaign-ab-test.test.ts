/**
 * A/B tests (issue 16, part 5) through the built CLI with MKT_NOW, against the outbox: prepare
 * assigns variants deterministically to the test fraction and holds the rest; the first send
 * sends the test fraction only; `send --due` before `wait` skips the campaign (ab_test); after
 * it, the metric per variant (delivered, from the delivery feedback the ledger holds) and a
 * z-test pick the winner, which goes to the rest; `--winner` overrides; status per variant.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';

let ws: SmsWorkspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

const at = (iso: string) => ({ MKT_NOW: iso });
const T0 = '2026-06-01T10:00:00Z';

function setUp(): SmsWorkspace {
  const w = (ws = smsWorkspace(0));
  const rows = Array.from({ length: 300 }, (_, i) => `ab${i},+4917${String(40000000 + i).padStart(9, '0')},DE,yes,Kim${i}`);
  writeFileSync(path.join(w.dir, 'ab.csv'), ['external_id,phone,country,sms_opt_in,first_name', ...rows].join('\n') + '\n');
  expect(w.cli(['customers', 'import', 'ab.csv']).code).toBe(0);
  writeFileSync(path.join(w.dir, 'templates', 'sms', 'hello-b.txt'), 'Kim, variant B: the sale starts today.\n');
  writeFileSync(
    path.join(w.dir, 'ab.yaml'),
    'channel: sms\nsegment: all-sms\nprovider: outbox-sms\ntemplate: hello\nschedule: 2026-06-01T09:00:00Z\n' +
      'variants:\n  a: { template: hello }\n  b: { template: hello-b }\ntest: { fraction: 20%, metric: delivered, wait: 4h }\n',
  );
  expect(w.cli(['campaign', 'create', '--file', 'ab.yaml'], at('2026-05-31T10:00:00Z')).code).toBe(0);
  expect(w.cli(['campaign', 'prepare', 'ab'], at(T0)).code).toBe(0);
  return w;
}

const byVariant = (w: SmsWorkspace) =>
  Object.fromEntries(w.query<{ v: string | null; state: string; n: number }>('SELECT variant AS v, state, count(*) AS n FROM campaign_recipients GROUP BY variant, state').map((r) => [`${r.v ?? 'held'} ${r.state}`, r.n]));

describe('A/B tests', { timeout: 180_000 }, () => {
  it('test fraction first, skipped before wait, then the metric picks the winner for the rest', () => {
    const w = setUp();
    const prepared = byVariant(w);
    const a = prepared['a pending']!;
    const b = prepared['b pending']!;
    // ~20% of 300 in the test (binomial: far inside 30..90), split about evenly, the rest held
    expect(a + b).toBeGreaterThan(30);
    expect(a + b).toBeLessThan(90);
    expect(a).toBeGreaterThan(5);
    expect(b).toBeGreaterThan(5);
    expect(prepared['held pending']).toBe(300 - a - b);
    // deterministic: preparing again assigns the same variants
    const before = w.query<{ id: number; v: string | null }>('SELECT customer_id AS id, variant AS v FROM campaign_recipients ORDER BY customer_id');
    expect(w.cli(['campaign', 'prepare', 'ab'], at(T0)).code).toBe(0);
    expect(w.query('SELECT customer_id AS id, variant AS v FROM campaign_recipients ORDER BY customer_id')).toEqual(before);

    expect(w.cli(['campaign', 'send', '--due', '--yes'], at(T0)).code).toBe(0);
    expect(byVariant(w)).toEqual({ 'a sent': a, 'b sent': b, 'held pending': 300 - a - b });
    // each variant's own template went out
    const bodies = readFileSync(path.join(w.dir, '.mkt', 'outbox', 'ab', 'messages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).body as string);
    expect(bodies.filter((t) => t.includes('variant B'))).toHaveLength(b);
    expect(bodies.filter((t) => t.includes('our sale starts today'))).toHaveLength(a);

    // the delivery feedback (as `mkt feedback import` / `mkt serve` record it): every B delivered, a third of A
    const db = new Database(w.db);
    db.prepare(`UPDATE campaign_recipients SET delivery_status = 'delivered' WHERE variant = 'b' OR (variant = 'a' AND id % 3 = 0)`).run();
    db.close();
    const aDelivered = w.query<{ n: number }>(`SELECT count(*) AS n FROM campaign_recipients WHERE variant = 'a' AND delivery_status = 'delivered'`)[0]!.n;

    const early = w.cli(['campaign', 'send', '--due', '--yes', '--json'], at('2026-06-01T12:00:00Z'));
    expect(early.code).toBe(0);
    expect(early.stderr).toContain(`skipped ab: ab test: ${300 - a - b} recipient(s) wait for the A/B test's winner, chosen at 2026-06-01T14:00:0`);
    expect(JSON.parse(early.stdout).skipped[0].reason).toBe('ab_test');

    const decide = w.cli(['campaign', 'send', '--due', '--yes', '--json'], at('2026-06-01T14:30:00Z'));
    expect(decide.code).toBe(0);
    expect(decide.stderr).toContain(`A/B test: variant b: ${b} delivered of ${b} sent (100.00%)`);
    expect(decide.stderr).toMatch(/A\/B test: z = [\d.]+, p = [\d.]+: significant at 5%/);
    expect(decide.stderr).toContain(`A/B test: winner b (higher delivered rate); sending it to the other ${300 - a - b} recipient(s)`);
    const ab = JSON.parse(decide.stdout).campaigns[0].summary.ab_test;
    expect(ab).toMatchObject({ phase: 'decided', metric: 'delivered', winner: 'b', significant: true, released: 300 - a - b });
    expect(ab.figures).toEqual([
      { variant: 'b', sent: b, successes: b, rate: 1 },
      { variant: 'a', sent: a, successes: aDelivered, rate: aDelivered / a },
    ]);
    expect(byVariant(w)).toEqual({ 'a sent': a, 'b sent': 300 - a });

    const status = JSON.parse(w.cli(['campaign', 'status', 'ab', '--json']).stdout);
    expect(status.variants.map((v: { variant: string; recipients: number; counts: { sent: number } }) => [v.variant, v.recipients, v.counts.sent])).toEqual([
      ['a', a, a],
      ['b', 300 - a, 300 - a],
    ]);
    // the per-recipient report names each row's variant, as the ledger holds it
    const report = JSON.parse(w.cli(['campaign', 'report', 'ab', '--format', 'json']).stdout) as Array<{ variant: string | null }>;
    expect(report).toHaveLength(300);
    expect(report.filter((r) => r.variant === 'a')).toHaveLength(a);
    expect(report.filter((r) => r.variant === 'b')).toHaveLength(300 - a);
  });

  it('--winner overrides before the wait; no deliveries yet is "not significant"', () => {
    const w = setUp();
    const first = w.cli(['campaign', 'send', 'ab', '--yes'], at(T0));
    expect(first.code).toBe(75); // the rest waits for the winner
    expect(first.stderr).toMatch(/recipient\(s\) wait for the A\/B test's winner, chosen at 2026-06-01T14:00:0/);
    expect(first.stderr).toContain('or choose now with --winner');
    expect(w.cli(['campaign', 'send', 'ab', '--yes', '--winner', 'c'], at('2026-06-01T11:00:00Z')).code).toBe(65);
    const r = w.cli(['campaign', 'send', 'ab', '--yes', '--winner', 'a'], at('2026-06-01T11:00:00Z'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/A\/B test: z = 0, p = 1: not significant/);
    expect(r.stderr).toContain('A/B test: winner a (chosen with --winner)');
    const held = w.query<{ n: number }>(`SELECT count(*) AS n FROM campaign_recipients WHERE variant IS NULL`)[0]!.n;
    expect(held).toBe(0);
    expect(w.states('ab')).toEqual({ sent: 300 });
  });

  it('pre-flight renders each test row with its own variant', () => {
    const w = setUp();
    const b = w.query<{ n: number }>(`SELECT count(*) AS n FROM campaign_recipients WHERE variant = 'b'`)[0]!.n;
    expect(JSON.parse(w.cli(['campaign', 'check', 'ab', '--json']).stdout).render_failures.total).toBe(0);
    writeFileSync(path.join(w.dir, 'templates', 'sms', 'hello-b.txt'), 'Kim, your tier: {{ attributes.tier }}.\n');
    const report = JSON.parse(w.cli(['campaign', 'check', 'ab', '--json']).stdout);
    expect(report.recipients).toBe(300);
    expect(report.render_failures.groups).toEqual([expect.objectContaining({ cause: 'missing variable "attributes.tier"', at: 'templates/sms/hello-b.txt:1:20', count: b })]);
  });
});
