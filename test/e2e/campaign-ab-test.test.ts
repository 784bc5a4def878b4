/**
 * A/B tests (issue 16, part 5) through the built CLI with MKT_NOW, against the outbox: prepare
 * assigns variants deterministically to the test fraction and holds the rest; the first send
 * sends the test fraction only; `send --due` before `wait` skips the campaign (ab_test); after
 * it, the metric per variant (delivered, from the delivery feedback the ledger holds) and a
 * z-test pick the winner, which goes to the rest; `--winner` overrides; status per variant.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runCliAsync } from '../support/cli.js';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';
import { pgE2eStore, sqliteE2eStore, type E2eStore } from '../support/e2e-stores.js';
import { pgTestDatabase } from '../support/pg.js';

// a server that does not answer skips the PostgreSQL runs (with one line), unless MKT_TEST_PG=required
const probe = await pgTestDatabase('e2e_ab_probe');
await probe?.drop();
const PG = probe !== undefined;
const STORES = [
  { name: 'sqlite' as const, available: true },
  { name: 'postgres' as const, available: PG },
];

let ws: SmsWorkspace | undefined;
let store: E2eStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
  ws?.cleanup();
  ws = undefined;
});

const T0 = '2026-06-01T10:00:00Z';

/** The clock runs on from MKT_NOW: times differ between runs by the seconds a run takes, by nature. */
const timeless = (x: unknown) => JSON.parse(JSON.stringify(x).replace(/(\d{4}-\d\d-\d\dT\d\d:\d\d):\d\d(\.\d+)?Z/g, '$1:(s)Z'));
/** What each store's run printed (--json), compared at the end. */
const results = new Map<string, unknown[]>();
const keep = (name: string, ...what: unknown[]) => results.set(name, [...(results.get(name) ?? []), ...what.map(timeless)]);

interface Ab {
  w: SmsWorkspace;
  s: E2eStore;
  at(iso: string): NodeJS.ProcessEnv;
  cli(args: string[], env?: NodeJS.ProcessEnv): ReturnType<SmsWorkspace['cli']>;
}

/** 300 customers imported into the SQLite file, and on PostgreSQL copied into a database of its own; then the campaign is created and prepared on the store. */
async function setUp(kind: 'sqlite' | 'postgres', label: string): Promise<Ab> {
  const w = (ws = smsWorkspace(0));
  const rows = Array.from({ length: 300 }, (_, i) => `ab${i},+4917${String(40000000 + i).padStart(9, '0')},DE,yes,Kim${i}`);
  writeFileSync(path.join(w.dir, 'ab.csv'), ['external_id,phone,country,sms_opt_in,first_name', ...rows].join('\n') + '\n');
  expect(w.cli(['customers', 'import', 'ab.csv']).code).toBe(0);
  const s = (store = kind === 'sqlite' ? sqliteE2eStore(w.db) : (await pgE2eStore(label, w.dir, w.db))!);
  const ab: Ab = { w, s, at: (iso) => ({ MKT_NOW: iso, ...s.env }), cli: (args, env = s.env) => w.cli(args, env) };
  writeFileSync(path.join(w.dir, 'templates', 'sms', 'hello-b.txt'), 'Kim, variant B: the sale starts today.\n');
  writeFileSync(
    path.join(w.dir, 'ab.yaml'),
    'channel: sms\nsegment: all-sms\nprovider: outbox-sms\ntemplate: hello\nschedule: 2026-06-01T09:00:00Z\n' +
      'variants:\n  a: { template: hello }\n  b: { template: hello-b }\ntest: { fraction: 20%, metric: delivered, wait: 4h }\n',
  );
  expect(ab.cli(['campaign', 'create', '--file', 'ab.yaml'], ab.at('2026-05-31T10:00:00Z')).code).toBe(0);
  const prepared = ab.cli(['campaign', 'prepare', 'ab'], ab.at(T0));
  expect(prepared.code, prepared.stderr).toBe(0);
  return ab;
}

const byVariant = async (s: E2eStore) =>
  Object.fromEntries((await s.query<{ v: string | null; state: string; n: number }>('SELECT variant AS v, state, count(*) AS n FROM campaign_recipients GROUP BY variant, state')).map((r) => [`${r.v ?? 'held'} ${r.state}`, r.n]));
const count = async (s: E2eStore, where: string) => (await s.query<{ n: number }>(`SELECT count(*) AS n FROM campaign_recipients WHERE ${where}`))[0]!.n;

describe.each(STORES)('A/B tests ($name)', { timeout: 180_000 }, ({ name, available }) => {
  it.skipIf(!available)('test fraction first, skipped before wait, then the metric picks the winner for the rest', async () => {
    const { w, s, at, cli } = await setUp(name, 'e2e_ab_metric');
    const prepared = await byVariant(s);
    const a = prepared['a pending']!;
    const b = prepared['b pending']!;
    // ~20% of 300 in the test (binomial: far inside 30..90), split about evenly, the rest held
    expect(a + b).toBeGreaterThan(30);
    expect(a + b).toBeLessThan(90);
    expect(a).toBeGreaterThan(5);
    expect(b).toBeGreaterThan(5);
    expect(prepared['held pending']).toBe(300 - a - b);
    // deterministic: preparing again assigns the same variants
    const assignment = () => s.query<{ id: number; v: string | null }>('SELECT customer_id AS id, variant AS v FROM campaign_recipients ORDER BY customer_id');
    const before = await assignment();
    expect(cli(['campaign', 'prepare', 'ab'], at(T0)).code).toBe(0);
    expect(await assignment()).toEqual(before);

    const first = cli(['campaign', 'send', '--due', '--yes'], at(T0));
    expect(first.code, first.stderr).toBe(0);
    expect(await byVariant(s)).toEqual({ 'a sent': a, 'b sent': b, 'held pending': 300 - a - b });
    // each variant's own template went out
    const bodies = readFileSync(path.join(w.dir, '.mkt', 'outbox', 'ab', 'messages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).body as string);
    expect(bodies.filter((t) => t.includes('variant B'))).toHaveLength(b);
    expect(bodies.filter((t) => t.includes('our sale starts today'))).toHaveLength(a);

    // the delivery feedback (as `mkt feedback import` / `mkt serve` record it): every B delivered, a third of A
    await s.exec(`UPDATE campaign_recipients SET delivery_status = 'delivered' WHERE variant = 'b' OR (variant = 'a' AND id % 3 = 0)`);
    const aDelivered = await count(s, `variant = 'a' AND delivery_status = 'delivered'`);

    const early = cli(['campaign', 'send', '--due', '--yes', '--json'], at('2026-06-01T12:00:00Z'));
    expect(early.code).toBe(0);
    expect(early.stderr).toContain(`skipped ab: ab test: ${300 - a - b} recipient(s) wait for the A/B test's winner, chosen at 2026-06-01T14:00:0`);
    expect(JSON.parse(early.stdout).skipped[0].reason).toBe('ab_test');

    const decide = cli(['campaign', 'send', '--due', '--yes', '--json'], at('2026-06-01T14:30:00Z'));
    expect(decide.code, decide.stderr).toBe(0);
    expect(decide.stderr).toContain(`A/B test: variant b: ${b} delivered of ${b} sent (100.00%)`);
    expect(decide.stderr).toMatch(/A\/B test: z = [\d.]+, p = [\d.]+: significant at 5%/);
    expect(decide.stderr).toContain(`A/B test: winner b (higher delivered rate); sending it to the other ${300 - a - b} recipient(s)`);
    const ab = JSON.parse(decide.stdout).campaigns[0].summary.ab_test;
    expect(ab).toMatchObject({ phase: 'decided', metric: 'delivered', winner: 'b', significant: true, released: 300 - a - b });
    expect(ab.figures).toEqual([
      { variant: 'b', sent: b, successes: b, rate: 1 },
      { variant: 'a', sent: a, successes: aDelivered, rate: aDelivered / a },
    ]);
    expect(await byVariant(s)).toEqual({ 'a sent': a, 'b sent': 300 - a });

    const status = JSON.parse(cli(['campaign', 'status', 'ab', '--json']).stdout);
    expect(status.variants.map((v: { variant: string; recipients: number; counts: { sent: number } }) => [v.variant, v.recipients, v.counts.sent])).toEqual([
      ['a', a, a],
      ['b', 300 - a, 300 - a],
    ]);
    keep(name, before, JSON.parse(early.stdout), ab, status.variants, status.counts);
    // the per-recipient report names each row's variant, as the ledger holds it
    const reported = cli(['campaign', 'report', 'ab', '--format', 'json']);
    expect(reported.code, reported.stderr).toBe(0);
    const report = JSON.parse(reported.stdout) as Array<{ variant: string | null }>;
    expect(report).toHaveLength(300);
    expect(report.filter((r) => r.variant === 'a')).toHaveLength(a);
    expect(report.filter((r) => r.variant === 'b')).toHaveLength(300 - a);
    keep(name, report.map((r) => r.variant));
  });

  it.skipIf(!available)('--winner overrides before the wait; no deliveries yet is "not significant"', async () => {
    const { s, at, cli } = await setUp(name, 'e2e_ab_winner');
    const first = cli(['campaign', 'send', 'ab', '--yes'], at(T0));
    expect(first.code).toBe(75); // the rest waits for the winner
    expect(first.stderr).toMatch(/recipient\(s\) wait for the A\/B test's winner, chosen at 2026-06-01T14:00:0/);
    expect(first.stderr).toContain('or choose now with --winner');
    expect(cli(['campaign', 'send', 'ab', '--yes', '--winner', 'c'], at('2026-06-01T11:00:00Z')).code).toBe(65);
    const r = cli(['campaign', 'send', 'ab', '--yes', '--winner', 'a', '--json'], at('2026-06-01T11:00:00Z'));
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/A\/B test: z = 0, p = 1: not significant/);
    expect(r.stderr).toContain('A/B test: winner a (chosen with --winner)');
    expect(await count(s, 'variant IS NULL')).toBe(0);
    expect(await byVariant(s)).toEqual({ 'a sent': 300 - (await count(s, `variant = 'b'`)), 'b sent': await count(s, `variant = 'b'`) });
    keep(name, JSON.parse(r.stdout).ab_test);
  });

  it.skipIf(!available)('pre-flight renders each test row with its own variant', async () => {
    const { w, s, cli } = await setUp(name, 'e2e_ab_check');
    const b = await count(s, `variant = 'b'`);
    expect(JSON.parse(cli(['campaign', 'check', 'ab', '--json']).stdout).render_failures.total).toBe(0);
    writeFileSync(path.join(w.dir, 'templates', 'sms', 'hello-b.txt'), 'Kim, your tier: {{ attributes.tier }}.\n');
    const report = JSON.parse(cli(['campaign', 'check', 'ab', '--json']).stdout);
    expect(report.recipients).toBe(300);
    expect(report.render_failures.groups).toEqual([expect.objectContaining({ cause: 'missing variable "attributes.tier"', at: 'templates/sms/hello-b.txt:1:20', count: b })]);
    keep(name, report.render_failures);
  });
});

describe.skipIf(!PG)('A/B tests on PostgreSQL', { timeout: 180_000 }, () => {
  it('gave the same --json as SQLite at every step', () => {
    expect([...results.keys()]).toEqual(['sqlite', 'postgres']);
    expect(results.get('postgres')).toEqual(results.get('sqlite'));
  });

  it('two workers past the wait: the winner is decided and released once, and everyone gets one message', async () => {
    const { w, s, at, cli } = await setUp('postgres', 'e2e_ab_workers');
    expect(cli(['campaign', 'send', 'ab', '--yes'], at(T0)).code).toBe(75);
    const test = await count(s, `state = 'sent'`);
    const env = { ...w.env, ...at('2026-06-01T14:30:00Z') };
    const runs = await Promise.all([1, 2].map(() => runCliAsync(['campaign', 'send', 'ab', '--yes', '--json'], { cwd: w.dir, env })));
    for (const r of runs) expect(r.code, r.stderr).toBe(0);
    const decided = runs.map((r) => JSON.parse(r.stdout).ab_test).filter((x) => x !== undefined);
    expect(decided).toHaveLength(1);
    expect(decided[0]).toMatchObject({ phase: 'decided', released: 300 - test });
    expect(runs.filter((r) => r.stderr.includes('A/B test: winner')).length).toBe(1);
    expect(await count(s, `state = 'sent'`)).toBe(300);
    expect(await count(s, `variant IS NULL`)).toBe(0);
    const lines = readFileSync(path.join(w.dir, '.mkt', 'outbox', 'ab', 'messages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).to as string);
    expect(lines).toHaveLength(300);
    expect(new Set(lines).size).toBe(300);
  });
});

afterAll(() => results.clear());
