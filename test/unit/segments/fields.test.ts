import { getTableColumns } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { customers } from '../../../src/db/schema.js';
import { filterToSql } from '../../../src/db/segment-sql.js';
import { COLUMN_FIELDS, resolveField } from '../../../src/segments/fields.js';
import type { Filter } from '../../../src/segments/ast.js';

describe('the field whitelist', () => {
  it('is exactly the customer columns (attributes are reached by key)', () => {
    const columns = Object.values(getTableColumns(customers))
      .map((c) => c.name)
      .filter((n) => n !== 'attributes')
      .sort();
    expect(Object.keys(COLUMN_FIELDS).sort()).toEqual(columns);
  });

  it('types follow the storage: integer dates, 0/1 booleans, REAL money', () => {
    expect(COLUMN_FIELDS.last_order_at).toBe('date');
    expect(COLUMN_FIELDS.sms_opt_in).toBe('boolean');
    expect(COLUMN_FIELDS.lifetime_value).toBe('number');
    expect(resolveField('attributes.address.city')).toEqual({ kind: 'attribute', name: 'attributes.address.city', path: ['address', 'city'] });
    expect(resolveField('attributes.a b')).toBeUndefined();
  });
});

describe('compiled SQL', () => {
  const ltv = resolveField('lifetime_value')!;
  const plan = resolveField('attributes.plan')!;
  const gt: Filter = { kind: 'cmp', field: ltv, type: 'number', op: 'gt', value: 500 };

  it('outside `not` is what a person would write', () => {
    expect(filterToSql(gt, new Date(0))).toEqual({ text: '(c.lifetime_value > ?)', params: [500] });
  });

  it('below `not` every leaf is two-valued', () => {
    expect(filterToSql({ kind: 'not', item: gt }, new Date(0)).text).toBe('(NOT (c.lifetime_value IS NOT NULL AND c.lifetime_value > ?))');
    const attr: Filter = { kind: 'not', item: { kind: 'cmp', field: plan, type: 'string', op: 'eq', value: 'pro' } };
    expect(filterToSql(attr, new Date(0))).toEqual({
      text: "(NOT COALESCE((json_extract(c.attributes, ?) = ? AND json_type(c.attributes, ?) IN ('text')), 0))",
      params: ['$."plan"', 'pro', '$."plan"'],
    });
  });

  it('binds booleans as 0/1 and relative dates against the given now', () => {
    const optIn = resolveField('sms_opt_in')!;
    const last = resolveField('last_order_at')!;
    const f: Filter = {
      kind: 'all',
      items: [
        { kind: 'cmp', field: optIn, type: 'boolean', op: 'eq', value: true },
        { kind: 'within', field: last, spanMs: 1000, negate: false },
      ],
    };
    expect(filterToSql(f, new Date(5000))).toEqual({ text: '((c.sms_opt_in = ? AND c.last_order_at >= ?))', params: [1, 4000] });
  });
});
