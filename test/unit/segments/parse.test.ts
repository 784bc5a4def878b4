import { describe, expect, it } from 'vitest';
import { formatIssue, parseSegmentText } from '../../../src/segments/parse.js';
import { memorySource, SegmentLibrary } from '../../../src/segments/library.js';
import { matches } from '../../../src/segments/evaluate.js';
import type { CustomerRecord } from '../../../src/customers/record.js';

const problems = (text: string) => parseSegmentText('t', 'segments/t.yaml', text).issues.map(formatIssue);

async function resolveAll(files: Record<string, string>) {
  const lib = new SegmentLibrary(memorySource(files));
  const out: Record<string, string[]> = {};
  for (const name of Object.keys(files)) out[name] = ((await lib.resolve(name))?.issues ?? []).map(formatIssue);
  return out;
}

const customer = (over: Partial<CustomerRecord>): CustomerRecord => ({
  id: 1,
  external_id: null,
  email: null,
  phone: null,
  first_name: null,
  last_name: null,
  country: null,
  timezone: null,
  locale: null,
  lifetime_value: null,
  order_count: null,
  last_order_at: null,
  created_at: '2025-01-01T00:00:00.000Z',
  updated_at: '2025-01-01T00:00:00.000Z',
  email_opt_in: false,
  sms_opt_in: false,
  whatsapp_opt_in: false,
  attributes: {},
  ...over,
});

async function filterOf(where: string) {
  const lib = new SegmentLibrary(memorySource({ t: `where:\n${where}` }));
  const r = await lib.resolve('t');
  expect(r?.issues.map(formatIssue)).toEqual([]);
  return r!.filter!;
}

describe('segment definitions: errors name file:line:col', () => {
  it('accepts the issue example shape', async () => {
    const files = {
      'high-value-dach': `description: High-value customers in DACH who bought recently
where:
  all:
    - lifetime_value: { gt: 500 }
    - country: { in: [DE, AT, CH] }
    - any:
        - last_order_at: { within: 90d }
        - order_count: { gte: 10 }
    - attributes.plan: { eq: pro }
    - not:
        segment: churn-risk        # reuse another segment
`,
      'churn-risk': 'where:\n  last_order_at: { older_than: 180d }\n',
    };
    expect(await resolveAll(files)).toEqual({ 'high-value-dach': [], 'churn-risk': [] });
  });

  it('unknown field, with a suggestion', () => {
    expect(problems('where:\n  all:\n    - lifetme_value: { gt: 500 }\n')).toEqual([
      'segments/t.yaml:3:7: unknown field "lifetme_value" (did you mean "lifetime_value"?)',
    ]);
    expect(problems('where:\n  contry: DE\n')).toEqual(['segments/t.yaml:2:3: unknown field "contry" (did you mean "country"?)']);
  });

  it('operator that does not fit the field type', () => {
    expect(problems('where:\n  country: { gt: 5 }\n')).toEqual([
      'segments/t.yaml:2:14: operator gt does not fit country (a string field); use one of eq, ne, in, not_in, contains, starts_with, ends_with, exists, missing',
    ]);
    expect(problems('where:\n  last_order_at: { eq: 2024-01-01 }\n')[0]).toMatch(/^segments\/t\.yaml:2:20: operator eq does not fit last_order_at \(a date field\)/);
    expect(problems('where:\n  attributes.plan: { within: 9d }\n')[0]).toMatch(/:2:22: operator within does not fit attributes\.plan \(an attribute\)/);
  });

  it('unknown operator, with a suggestion', () => {
    expect(problems('where:\n  lifetime_value: { gtee: 5 }\n')[0]).toBe(
      'segments/t.yaml:2:21: unknown operator "gtee" (did you mean "gte"?); lifetime_value takes eq, ne, gt, gte, lt, lte, between, in, not_in, exists, missing',
    );
  });

  it('malformed values point at the value', () => {
    expect(problems('where:\n  lifetime_value: { gt: lots }\n')).toEqual(['segments/t.yaml:2:25: lifetime_value gt needs a number, got "lots"']);
    expect(problems('where:\n  last_order_at: { within: 90 days }\n')).toEqual([
      'segments/t.yaml:2:28: last_order_at within needs a span such as 90d, 12h, 6w or 30m (m minutes, h hours, d days, w weeks), got "90 days"',
    ]);
    expect(problems('where:\n  last_order_at: { before: 2024-02-30 }\n')[0]).toMatch(/:2:28: last_order_at before needs an ISO 8601 date/);
    expect(problems('where:\n  email_opt_in: yes\n')).toEqual(['segments/t.yaml:2:17: email_opt_in eq needs true or false, got "yes"']);
    expect(problems('where:\n  lifetime_value: { between: [200, 100] }\n')[0]).toMatch(/:2:30: between needs \[low, high\] with low ≤ high/);
    expect(problems('where:\n  lifetime_value: { between: [1, 2, 3] }\n')[0]).toMatch(/:2:30: lifetime_value between needs two values/);
    expect(problems('where:\n  country: { in: [] }\n')).toEqual(['segments/t.yaml:2:18: country in needs at least one value']);
    expect(problems('where:\n  country:\n')[0]).toMatch(/no value for country; write `country: \{ missing: true \}`/);
    expect(problems('where:\n  attributes.tier: { in: [1, gold] }\n')[0]).toMatch(/all numbers or all strings/);
  });

  it('structure problems', () => {
    expect(problems('')[0]).toMatch(/segments\/t\.yaml.*a segment definition is a mapping/);
    expect(problems('description: x\n')).toEqual(['segments/t.yaml:1:1: missing `where:` (the filter); use `where: { all: [] }` to match every customer']);
    expect(problems('descripton: x\nwhere: { all: [] }\n')).toEqual([
      'segments/t.yaml:1:1: unknown key "descripton" (did you mean "description"?); a definition has `description` and `where`',
    ]);
    expect(problems('where:\n  all: { country: DE }\n')).toEqual(['segments/t.yaml:2:8: `all` needs a list of conditions']);
    expect(problems('where:\n  attributes: { eq: 1 }\n')[0]).toMatch(/attributes\.<key>/);
    expect(problems("where:\n  attributes.a'b: { eq: 1 }\n")[0]).toMatch(/not a usable attribute name/);
  });

  it('YAML syntax errors carry their position', () => {
    const [first] = problems('where:\n  country: [DE\n  x: 1\n');
    expect(first).toMatch(/^segments\/t\.yaml:\d+:\d+: YAML syntax: /);
  });

  it('reports every problem of a file, not just the first', () => {
    const found = problems('where:\n  all:\n    - lifetme_value: { gt: 5 }\n    - country: { gt: 5 }\n    - order_count: { eq: many }\n');
    expect(found).toHaveLength(3);
    expect(found.map((f) => f.split(':').slice(1, 3).join(':'))).toEqual(['3:7', '4:18', '5:26']);
  });

  it('unknown referenced segment, with a suggestion', async () => {
    const r = await resolveAll({ a: 'where:\n  segment: chrun-risk\n', 'churn-risk': 'where: { all: [] }\n' });
    expect(r.a).toEqual(['segments/a.yaml:2:12: unknown segment "chrun-risk" (did you mean "churn-risk"?)']);
  });

  it('cycles are errors naming the cycle', async () => {
    const r = await resolveAll({
      a: 'where:\n  all:\n    - country: DE\n    - segment: b\n',
      b: 'where:\n  not:\n    segment: c\n',
      c: 'where:\n  segment: a\n',
      d: 'where:\n  segment: d\n',
    });
    expect(r.a).toEqual(['segments/c.yaml:2:12: segment cycle: a → b → c → a']);
    expect(r.b).toEqual(r.a);
    expect(r.d).toEqual(['segments/d.yaml:2:12: segment cycle: d → d']);
  });

  it('references are checked even when the rest of the file is broken', async () => {
    const r = await resolveAll({ a: 'where:\n  all:\n    - contry: DE\n    - segment: nope\n' });
    expect(r.a).toEqual(['segments/a.yaml:3:7: unknown field "contry" (did you mean "country"?)', 'segments/a.yaml:4:16: unknown segment "nope"']);
  });

  it('aliases are followed', async () => {
    const f = await filterOf('  all:\n    - &de { country: DE }\n    - *de\n');
    expect(matches(f, customer({ country: 'DE' }), new Date())).toBe(true);
  });
});

describe('meaning of values', () => {
  const now = new Date('2026-01-15T12:00:00Z');

  it('a bare date stands for its whole UTC day', async () => {
    const on = (iso: string) => customer({ last_order_at: iso });
    const before = await filterOf('  last_order_at: { before: 2025-06-01 }\n');
    expect(matches(before, on('2025-05-31T23:59:59.999Z'), now)).toBe(true);
    expect(matches(before, on('2025-06-01T00:00:00.000Z'), now)).toBe(false);
    const after = await filterOf('  last_order_at: { after: 2025-06-01 }\n');
    expect(matches(after, on('2025-06-01T23:59:59.999Z'), now)).toBe(false);
    expect(matches(after, on('2025-06-02T00:00:00.000Z'), now)).toBe(true);
    const between = await filterOf('  last_order_at: { between: [2025-06-01, 2025-06-30] }\n');
    expect(matches(between, on('2025-06-01T00:00:00.000Z'), now)).toBe(true);
    expect(matches(between, on('2025-06-30T23:59:59.999Z'), now)).toBe(true);
    expect(matches(between, on('2025-07-01T00:00:00.000Z'), now)).toBe(false);
    const instant = await filterOf('  last_order_at: { after: "2025-06-01T10:00:00+02:00" }\n');
    expect(matches(instant, on('2025-06-01T08:00:00.000Z'), now)).toBe(false);
    expect(matches(instant, on('2025-06-01T08:00:00.001Z'), now)).toBe(true);
  });

  it('within and older_than split non-null dates at now − span', async () => {
    const within = await filterOf('  last_order_at: { within: 90d }\n');
    const older = await filterOf('  last_order_at: { older_than: 90d }\n');
    const edge = new Date(now.getTime() - 90 * 86_400_000);
    for (const [t, inside] of [
      [edge.getTime(), true],
      [edge.getTime() - 1, false],
      [now.getTime(), true],
    ] as const) {
      const c = customer({ last_order_at: new Date(t).toISOString() });
      expect(matches(within, c, now)).toBe(inside);
      expect(matches(older, c, now)).toBe(!inside);
    }
    const never = customer({ last_order_at: null });
    expect(matches(within, never, now)).toBe(false);
    expect(matches(older, never, now)).toBe(false);
  });

  it('missing values: comparisons are false, not of them is true', async () => {
    const gt = await filterOf('  lifetime_value: { gt: 5 }\n');
    const notGt = await filterOf('  not: { lifetime_value: { gt: 5 } }\n');
    const ne = await filterOf('  country: { ne: DE }\n');
    const c = customer({});
    expect([matches(gt, c, now), matches(notGt, c, now), matches(ne, c, now)]).toEqual([false, true, false]);
  });

  it('plain numbers on text fields keep their digits', async () => {
    const f = await filterOf('  phone: { eq: 0049123 }\n');
    expect(matches(f, customer({ phone: '0049123' }), now)).toBe(true);
  });
});
