/** `mkt segment …` as a user runs it: the built CLI, the repo's sample segments, seeded customers. */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { bufferIo } from '../support/buffer-io.mjs';
import { runCli, tempWorkspace } from '../support/cli.js';
import { scriptedPrompter } from '../support/prompter.js';
import { pgTestDatabase } from '../support/pg.js';

const env = { MKT_NOW: '2026-01-15T12:00:00Z' };
const SAMPLES = ['churn-risk', 'everyone-email', 'high-value-dach', 'recent-buyers', 'sms-optin-eu', 'whatsapp-optin'];

const pgDb = await pgTestDatabase('e2e_segments');
afterAll(async () => {
  await pgDb?.drop();
});

describe('segment commands on seeded demo data', () => {
  const ws = tempWorkspace(true);
  const cli = (...args: string[]) => runCli(['--workspace', ws.dir, ...args], { env });
  beforeAll(() => {
    expect(cli('customers', 'seed', '--count', '3000').code).toBe(0);
  });
  afterAll(() => ws.cleanup());

  it('the sample segments are valid and each matches seeded customers', () => {
    const v = cli('segment', 'validate');
    expect(v.code).toBe(0);
    expect(v.stdout).toContain(`${SAMPLES.length} segments valid`);
    const list = cli('segment', 'list', '--count', '--json');
    expect(list.code).toBe(0);
    const rows = JSON.parse(list.stdout) as Array<{ name: string; count: number; description: string; file: string }>;
    expect(rows.map((r) => r.name)).toEqual(SAMPLES);
    for (const r of rows) {
      expect(r.count, r.name).toBeGreaterThan(0);
      expect(r.count, r.name).toBeLessThan(3000);
      expect(r.description).toBeTruthy();
      expect(r.file).toBe(`segments/${r.name}.yaml`);
    }
  });

  it('count --by gives the breakdown as JSON, and adds up', () => {
    const r = cli('segment', 'count', 'high-value-dach', '--by', 'country', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { segment: string; count: number; by: Record<string, number>; ms: number };
    expect(Object.keys(out).sort()).toEqual(['by', 'count', 'ms', 'segment']);
    expect(out.segment).toBe('high-value-dach');
    expect(Object.keys(out.by).every((k) => ['DE', 'AT', 'CH'].includes(k))).toBe(true);
    expect(Object.values(out.by).reduce((a, b) => a + b, 0)).toBe(out.count);
    const plain = JSON.parse(cli('segment', 'count', 'high-value-dach', '--json').stdout);
    expect(plain.count).toBe(out.count);
    expect(plain.by).toBeUndefined();
  });

  it('the same MKT_NOW gives the same relative-date counts', () => {
    const a = JSON.parse(cli('segment', 'count', 'recent-buyers', '--json').stdout).count;
    const later = JSON.parse(runCli(['--workspace', ws.dir, 'segment', 'count', 'recent-buyers', '--json'], { env: { MKT_NOW: '2026-03-15T12:00:00Z' } }).stdout).count;
    expect(JSON.parse(cli('segment', 'count', 'recent-buyers', '--json').stdout).count).toBe(a);
    expect(later).toBeLessThan(a);
  });

  it('preview shows matching customers with the chosen fields', () => {
    const r = cli('segment', 'preview', 'sms-optin-eu', '--limit', '3', '--fields', 'phone,country,sms_opt_in', '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { segment: string; customers: Array<Record<string, unknown>> };
    expect(out.customers).toHaveLength(3);
    for (const c of out.customers) {
      expect(Object.keys(c)).toEqual(['id', 'phone', 'country', 'sms_opt_in']);
      expect(c.sms_opt_in).toBe(true);
      expect(['DE', 'AT', 'FR', 'ES', 'IT', 'NL']).toContain(c.country);
    }
    const human = cli('segment', 'preview', 'sms-optin-eu', '--limit', '2');
    expect(human.stdout.split('\n')[0]).toMatch(/^id\s+email\s+phone/);
  });

  it('create --rule writes a file that count then uses', () => {
    const r = cli('segment', 'create', 'pro-de', '--rule', 'country eq DE', '--rule', 'attributes.plan in pro,enterprise', '--json');
    expect(r.code).toBe(0);
    const created = JSON.parse(r.stdout);
    expect(created.count).toBeGreaterThan(0);
    expect(readFileSync(path.join(ws.dir, 'segments', 'pro-de.yaml'), 'utf8')).toContain('attributes.plan: { in: [ pro, enterprise ] }');
    expect(JSON.parse(cli('segment', 'count', 'pro-de', '--json').stdout).count).toBe(created.count);
  });

  it('unknown segment exits 65 with a suggestion', () => {
    const r = cli('segment', 'count', 'churn-risc');
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('no segment "churn-risc" (segments/churn-risc.yaml not found) (did you mean "churn-risk"?)');
  });
});

describe('segment validate on broken definitions', () => {
  const ws = tempWorkspace(true);
  afterAll(() => ws.cleanup());

  it('reports every error of every file in one run, exits 65, touches no data', () => {
    writeFileSync(path.join(ws.dir, 'segments', 'bad-one.yaml'), 'where:\n  all:\n    - lifetme_value: { gt: 500 }\n    - country: { gt: 5 }\n');
    writeFileSync(path.join(ws.dir, 'segments', 'bad-two.yaml'), 'where:\n  any:\n    - segment: bad-three\n    - last_order_at: { within: soon }\n');
    writeFileSync(path.join(ws.dir, 'segments', 'bad-three.yaml'), 'where:\n  not:\n    segment: bad-two\n');
    const r = runCli(['--workspace', ws.dir, 'segment', 'validate'], { env });
    expect(r.code).toBe(65);
    const lines = r.stdout.split('\n');
    expect(lines).toContain('segments/bad-one.yaml:3:7: unknown field "lifetme_value" (did you mean "lifetime_value"?)');
    expect(lines).toContain(
      'segments/bad-one.yaml:4:18: operator gt does not fit country (a string field); use one of eq, ne, in, not_in, contains, starts_with, ends_with, exists, missing',
    );
    expect(lines).toContain(
      'segments/bad-two.yaml:4:32: last_order_at within needs a span such as 90d, 12h, 6w or 30m (m minutes, h hours, d days, w weeks), got "soon"',
    );
    expect(lines).toContain('segments/bad-two.yaml:3:16: segment cycle: bad-three → bad-two → bad-three');
    expect(lines).toContain('ok  segments/high-value-dach.yaml');
    expect(lines).toContain('3 of 9 segments invalid');
    // validation never opens the store
    expect(existsSync(ws.db)).toBe(false);

    const json = runCli(['--workspace', ws.dir, 'segment', 'validate', 'bad-one', '--json'], { env });
    expect(json.code).toBe(65);
    const report = JSON.parse(json.stdout);
    expect(report.ok).toBe(false);
    expect(report.segments[0].issues[0]).toEqual({ file: 'segments/bad-one.yaml', line: 3, col: 7, message: 'unknown field "lifetme_value" (did you mean "lifetime_value"?)' });
  });
});

/** The same seeded customers on PostgreSQL: preview lists the same customers, in the same shape, as on SQLite. */
describe.skipIf(!pgDb)('segment preview on PostgreSQL', { timeout: 120_000 }, () => {
  const ws = tempWorkspace(true);
  const on = (db: string, ...args: string[]) => runCli(['--workspace', ws.dir, '--db', db, ...args], { env });
  const sqlite = path.join(ws.dir, 'same.db');
  beforeAll(() => {
    for (const db of [sqlite, pgDb!.url]) expect(on(db, 'customers', 'seed', '--count', '500').code).toBe(0);
  });
  afterAll(() => ws.cleanup());

  it.each([
    ['sms-optin-eu', '--limit', '3', '--fields', 'phone,country,sms_opt_in,attributes.plan', '--json'],
    ['high-value-dach', '--limit', '25', '--json'],
    ['recent-buyers', '--limit', '5'],
    ['churn-risk', '--fields', 'email,last_order_at'],
  ])('%j', (...args) => {
    const a = on(sqlite, 'segment', 'preview', ...args);
    const b = on(pgDb!.url, 'segment', 'preview', ...args);
    expect(b.stderr).not.toMatch(/does not run on a PostgreSQL store/);
    expect({ code: b.code, stdout: b.stdout }).toEqual({ code: a.code, stdout: a.stdout });
    expect(a.code, a.stderr).toBe(0);
    expect(a.stdout.length).toBeGreaterThan(50);
  });

  it('the interactive builder counts live on both stores alike', async () => {
    const counts: string[] = [];
    for (const [db, name] of [[sqlite, 'built-sqlite'], [pgDb!.url, 'built-postgres']] as const) {
      const prompter = scriptedPrompter([name, '', 'country', 'eq', 'DE', 'email_opt_in', 'eq', 'true', '@done']);
      const io = bufferIo({ ...env, MKT_DB: db }, true);
      const code = await main(['node', 'mkt', '--workspace', ws.dir, 'segment', 'create'], io, { prompter, cwd: ws.dir });
      expect(code, io.err()).toBe(0);
      const live = [...io.err().matchAll(/(\d+) customers match so far/g)].map((m) => m[1]!);
      expect(live, io.err()).toHaveLength(2);
      expect(JSON.parse(on(db, 'segment', 'count', name, '--json').stdout).count).toBe(Number(live[1]));
      counts.push(live.join(' then '));
    }
    expect(counts[1]).toEqual(counts[0]);
  });
});
