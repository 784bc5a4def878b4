import { describe, expect, it } from 'vitest';
import { columnKey, parseColumnMap, resolveColumn } from '../../../src/customers/fields.js';
import { UsageError } from '../../../src/errors.js';
import { RowMapper, attributeValue } from '../../../src/customers/import/row.js';

describe('column mapping', () => {
  it.each([
    ['E-Mail', 'email'],
    ['email_address', 'email'],
    ['Email Address', 'email'],
    ['EMAIL', 'email'],
    ['mobile', 'phone'],
    ['Phone Number', 'phone'],
    ['firstname', 'first_name'],
    ['First Name', 'first_name'],
    ['Last-Name', 'last_name'],
    ['LTV', 'lifetime_value'],
    ['Customer ID', 'external_id'],
    ['orders', 'order_count'],
    ['Last Order Date', 'last_order_at'],
    ['SMS Consent', 'sms_opt_in'],
    ['time_zone', 'timezone'],
  ])('%j maps to %s', (column, field) => expect(resolveColumn(column)).toEqual({ kind: 'field', field }));

  it('unknown columns become attributes under their own (trimmed) name', () => {
    expect(resolveColumn(' Loyalty Tier ')).toEqual({ kind: 'attribute', name: 'Loyalty Tier' });
    expect(columnKey(' E-Mail_Address ')).toBe('emailaddress');
  });

  it('--map wins over known names and can target attributes or skip a column', () => {
    const map = parseColumnMap(['Kundennummer=external_id', 'Handy = mobile', 'email=attributes.old_email', 'Notes=-']);
    expect(resolveColumn('KUNDENNUMMER', map)).toEqual({ kind: 'field', field: 'external_id' });
    expect(resolveColumn('handy', map)).toEqual({ kind: 'field', field: 'phone' });
    expect(resolveColumn('Email', map)).toEqual({ kind: 'attribute', name: 'old_email' });
    expect(resolveColumn('notes', map)).toEqual({ kind: 'ignore' });
  });

  it.each(['nofield', '=email', 'Col=', 'Col=shoe_size'])('--map %j is a usage error', (spec) => {
    expect(() => parseColumnMap([spec])).toThrow(UsageError);
  });

  it('attribute cells keep plain numbers and booleans typed, codes and long ids as text', () => {
    expect(attributeValue('42')).toBe(42);
    expect(attributeValue('-3.25')).toBe(-3.25);
    expect(attributeValue('true')).toBe(true);
    expect(attributeValue('FALSE')).toBe(false);
    expect(attributeValue('01234')).toBe('01234');
    expect(attributeValue('12345678901234567890')).toBe('12345678901234567890');
    expect(attributeValue('1e5')).toBe('1e5');
    expect(attributeValue('yes')).toBe('yes');
  });
});

describe('row normalisation', () => {
  const csv = (header: string[], cells: string[], defaultCountry?: string) => new RowMapper({ defaultCountry }, header).normalise({ line: 2, cells });

  it('normalises every known field and drops bad values with a warning', () => {
    const r = csv(
      ['Customer ID', 'E-Mail', 'Mobile', 'Country', 'tz', 'Locale', 'LTV', 'Orders', 'Last Order', 'Newsletter', 'SMS Consent', 'tier'],
      ['c-1', ' Ann@Example.com', '0151 23456789', 'de', 'europe/berlin', 'de_DE', '1,5', '3', '2024-05-31', 'Yes', '', 'gold'],
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.input).toEqual({
      external_id: 'c-1',
      email: 'ann@example.com',
      phone: '+4915123456789',
      country: 'DE',
      timezone: 'Europe/Berlin',
      locale: 'de-DE',
      order_count: 3,
      last_order_at: Date.UTC(2024, 4, 31),
      email_opt_in: 1,
      sms_opt_in: 0,
      attributes: { tier: 'gold' },
    });
    expect(r.warnings).toEqual([expect.stringContaining('invalid lifetime_value "1,5"')]);
  });

  it("a phone is read in the row's country, else the default country", () => {
    const h = ['phone', 'country'];
    expect(csv(h, ['07911 123456', 'GB'], 'DE').ok && csv(h, ['07911 123456', 'GB'], 'DE')).toMatchObject({ input: { phone: '+447911123456' } });
    expect(csv(h, ['0151 23456789', ''], 'DE')).toMatchObject({ input: { phone: '+4915123456789' } });
    expect(csv(h, ['0151 23456789', ''])).toMatchObject({ ok: false, reason: expect.stringContaining('--default-country') });
  });

  it('an invalid identity is dropped with a warning when another identity remains, else the row is rejected', () => {
    expect(csv(['email', 'phone'], ['nope', '+4915123456789'])).toMatchObject({ ok: true, input: { phone: '+4915123456789' }, warnings: [expect.stringContaining('invalid email "nope"')] });
    expect(csv(['email', 'phone'], ['nope', '123'], 'DE')).toEqual({ ok: false, reason: 'no usable identity: invalid email "nope" (not an email address), invalid phone "123" (not a phone number)' });
    expect(csv(['first_name'], ['Ann'])).toEqual({ ok: false, reason: 'no usable identity (external_id, email or phone)' });
  });

  it('short rows are padded with empty cells; long rows are rejected', () => {
    expect(csv(['email', 'first_name', 'plan'], ['a@example.com'])).toMatchObject({ ok: true, input: { email: 'a@example.com', attributes: {} } });
    expect(csv(['email'], ['a@example.com', 'extra'])).toEqual({ ok: false, reason: 'row has 2 fields, the header has 1' });
  });

  it('JSON values: numbers and booleans typed, null means not given, nested values kept as attributes', () => {
    const m = new RowMapper({});
    const r = m.normalise({ line: 1, object: { id: 42, email: 'b@example.com', ltv: 12.5, orders: 2, sms_opt_in: true, email_opt_in: null, first_name: null, prefs: { color: 'red' } } });
    expect(r).toMatchObject({ ok: true, input: { external_id: '42', email: 'b@example.com', lifetime_value: 12.5, order_count: 2, sms_opt_in: 1, email_opt_in: 0, attributes: { prefs: { color: 'red' } } } });
    if (r.ok) expect('first_name' in r.input).toBe(false);
  });

  it('an unrecognised consent value is no consent, with a warning', () => {
    expect(csv(['email', 'email_opt_in'], ['a@example.com', 'maybe'])).toMatchObject({ ok: true, input: { email_opt_in: 0 }, warnings: [expect.stringContaining('invalid email_opt_in "maybe"')] });
  });
});
