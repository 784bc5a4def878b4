/** Which channels a segment fits, from the columns its conditions test (interactive create offers by it). */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CHANNELS } from '../../../src/channels.js';
import { COLUMN_FIELDS, type ColumnName, type Filter } from '../../../src/db/filter.js';
import { fitsChannel } from '../../../src/segments/channels.js';

const has = (name: ColumnName): Filter => ({ kind: 'exists', field: { kind: 'column', name, type: COLUMN_FIELDS[name] }, present: true });

describe('fitsChannel', () => {
  const cases: Array<[string, Filter, string[]]> = [
    ['email consent and address', { kind: 'all', items: [has('email_opt_in'), has('email')] }, ['email']],
    ['SMS consent and a phone', { kind: 'all', items: [has('sms_opt_in'), has('phone')] }, ['sms']],
    ['a phone alone', has('phone'), ['sms', 'whatsapp']],
    ['no channel column', has('country'), ['email', 'sms', 'whatsapp']],
    ['negated email consent still names email', { kind: 'not', item: has('email_opt_in') }, ['email']],
    ['attributes never tie a channel', { kind: 'exists', field: { kind: 'attribute', name: 'plan', path: ['plan'] }, present: true }, ['email', 'sms', 'whatsapp']],
  ];
  it.each(cases)('%s', (_, filter, fits) => expect(CHANNELS.filter((c) => fitsChannel(filter, c))).toEqual(fits));

  it('a combination fits a channel exactly when each of its parts does', () => {
    const leaf = fc.constantFrom(...(Object.keys(COLUMN_FIELDS) as ColumnName[])).map(has);
    const tree = fc.letrec<{ f: Filter }>((tie) => ({
      f: fc.oneof({ depthSize: 'small' }, leaf, fc.record({ kind: fc.constantFrom('all' as const, 'any' as const), items: fc.array(tie('f'), { maxLength: 3 }) }), fc.record({ kind: fc.constant('not' as const), item: tie('f') })),
    })).f;
    fc.assert(
      fc.property(fc.array(tree, { maxLength: 4 }), fc.constantFrom(...CHANNELS), (parts, channel) => {
        expect(fitsChannel({ kind: 'any', items: parts }, channel)).toBe(parts.every((p) => fitsChannel(p, channel)));
      }),
    );
  });
});
