/** `segment create`, both the interactive builder (scripted prompter) and its flag twin, in process. */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { scriptedPrompter } from '../../support/prompter.js';
import { openStore } from '../../../src/db/open.js';
import { bufferIo } from '../../support/buffer-io.mjs';
import { parseRules, ruleToEntry } from '../../../src/segments/rules.js';
import { definitionYaml } from '../../../src/segments/write.js';
import { insertCustomers } from './support.js';

const NOW = '2026-01-15T12:00:00Z';
let ws: string;
let db: string;

beforeEach(() => {
  ws = mkdtempSync(path.join(os.tmpdir(), 'mkt-seg-create-'));
  db = path.join(ws, '.mkt', 'mkt.db');
  const store = openStore(db);
  insertCustomers(store, [
    { country: 'DE', lifetime_value: 900, attributes: { plan: 'pro' } },
    { country: 'AT', lifetime_value: 600, attributes: { plan: 'free' } },
    { country: 'FR', lifetime_value: 700 },
    { country: 'DE', lifetime_value: 20 },
  ]);
  store.close();
});
afterEach(() => rmSync(ws, { recursive: true, force: true }));

async function run(args: string[], answers?: unknown[]) {
  const io = bufferIo({ MKT_NOW: NOW });
  const prompter = answers ? scriptedPrompter(answers) : undefined;
  const code = await main(['node', 'mkt', '--workspace', ws, ...args], io, prompter ? { prompter } : {});
  return { code, out: io.out(), err: io.err(), asked: prompter?.asked ?? [] };
}

const file = (name: string) => path.join(ws, 'segments', `${name}.yaml`);

describe('segment create --rule (flag twin)', () => {
  it('writes the definition, ANDing the rules, and reports the live count', async () => {
    const r = await run(['segment', 'create', 'big-dach', '--rule', 'lifetime_value gt 500', '--rule', 'country in DE,AT', '--description', 'Big in DACH', '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ segment: 'big-dach', file: 'segments/big-dach.yaml', count: 2 });
    expect(readFileSync(file('big-dach'), 'utf8')).toBe(
      'description: Big in DACH\nwhere:\n  all:\n    - lifetime_value: { gt: 500 }\n    - country: { in: [ DE, AT ] }\n',
    );
    const count = await run(['segment', 'count', 'big-dach', '--json']);
    expect(JSON.parse(count.out)).toMatchObject({ segment: 'big-dach', count: 2 });
  });

  it('refuses to overwrite without --force, and replaces with it', async () => {
    expect((await run(['segment', 'create', 'x', '--rule', 'country eq DE'])).code).toBe(0);
    const again = await run(['segment', 'create', 'x', '--rule', 'country eq FR']);
    expect(again.code).toBe(64);
    expect(again.err).toContain('segment "x" already exists (segments/x.yaml)');
    expect(readFileSync(file('x'), 'utf8')).toContain('DE');
    expect((await run(['segment', 'create', 'x', '--rule', 'country eq FR', '--force'])).code).toBe(0);
    expect(readFileSync(file('x'), 'utf8')).toContain('FR');
  });

  it('bad rules exit 65 naming the rule, and write nothing', async () => {
    const r = await run(['segment', 'create', 'bad', '--rule', 'lifetime_value gt lots', '--rule', 'contry eq DE', '--rule', 'segment nope']);
    expect(r.code).toBe(65);
    expect(r.err).toContain('--rule 1 ("lifetime_value gt lots"): lifetime_value gt needs a number, got "lots"');
    expect(r.err).toContain('--rule 2 ("contry eq DE"): unknown field "contry" (did you mean "country"?)');
    expect(existsSync(file('bad'))).toBe(false);
    const ref = await run(['segment', 'create', 'bad', '--rule', 'segment nope']);
    expect(ref.code).toBe(65);
    expect(ref.err).toContain('unknown segment "nope"');
    expect(existsSync(file('bad'))).toBe(false);
  });

  it('a self-reference is a cycle', async () => {
    const r = await run(['segment', 'create', 'loop', '--rule', 'not segment loop']);
    expect(r.code).toBe(65);
    expect(r.err).toContain('segment cycle: loop → loop');
  });

  it('without rules and without a terminal it is a usage error', async () => {
    const io = bufferIo({ MKT_NOW: NOW });
    expect(await main(['node', 'mkt', '--workspace', ws, 'segment', 'create', 'x'], io)).toBe(64);
    expect(io.err()).toContain('no terminal to ask');
  });
});

describe('segment create (interactive builder)', () => {
  it('asks field, operator, value; repeats; shows the live count; writes the file', async () => {
    mkdirSync(path.join(ws, 'segments'));
    writeFileSync(file('free'), 'where:\n  attributes.plan: { eq: free }\n');
    const r = await run(
      ['segment', 'create'],
      ['vip', 'VIPs outside the free plan', 'lifetime_value', 'gte', '600', '@attribute', 'plan', 'exists', '@segment', 'free', 'exclude', '@done'],
    );
    expect(r.err).toBe('  3 customers match so far\n  2 customers match so far\n  1 customers match so far\n');
    expect(r.code).toBe(0);
    expect(readFileSync(file('vip'), 'utf8')).toBe(
      'description: VIPs outside the free plan\nwhere:\n  all:\n    - lifetime_value: { gte: 600 }\n    - attributes.plan: { exists: true }\n    - not:\n        segment: free\n',
    );
    expect(r.asked[0]).toMatch(/Segment name/);
    expect(r.out).toBe('wrote segments/vip.yaml (1 customer matches now)\n');
  });

  it('rejects a value that does not fit and cannot be scripted past it', async () => {
    const r = await run(['segment', 'create', 'v', '--description', 'x'], ['lifetime_value', 'gt', 'lots']);
    expect(r.code).toBe(1);
    expect(r.err).toContain('lifetime_value gt needs a number, got "lots"');
    expect(existsSync(file('v'))).toBe(false);
  });
});

describe('rules', () => {
  it('map to the YAML shape people write', () => {
    expect(ruleToEntry('lifetime_value between 100,200')).toEqual({ lifetime_value: { between: [100, 200] } });
    expect(ruleToEntry('first_name eq Mary Ann')).toEqual({ first_name: { eq: 'Mary Ann' } });
    expect(ruleToEntry('phone eq 0049151')).toEqual({ phone: { eq: '0049151' } });
    expect(ruleToEntry('email_opt_in eq true')).toEqual({ email_opt_in: { eq: true } });
    expect(ruleToEntry('phone missing')).toEqual({ phone: { missing: true } });
    expect(ruleToEntry('attributes.score gt 5')).toEqual({ 'attributes.score': { gt: 5 } });
    expect(ruleToEntry('attributes.zip eq "01234"')).toEqual({ 'attributes.zip': { eq: '01234' } });
    expect(ruleToEntry('not segment churn-risk')).toEqual({ not: { segment: 'churn-risk' } });
    expect(ruleToEntry('country')).toMatch(/needs an operator/);
  });

  it('written definitions parse back to the same rules', () => {
    const rules = ['lifetime_value gt 500', 'country in DE,AT', 'last_order_at within 90d', 'phone eq 0049151', 'not segment churn-risk'];
    const { entries, issues } = parseRules(rules);
    expect(issues).toEqual([]);
    const text = definitionYaml('d', entries);
    expect(text).toContain('phone: { eq: "0049151" }');
  });
});
