/**
 * Random customers and random segment definitions (every operator, nesting, not, missing
 * values, attributes, segment references) for the oracle tests: the SQLite emitter's
 * (oracle.property.test.ts) and the store contract suite's, which runs them on both stores.
 */
import fc from 'fast-check';
import type { TestCustomer } from './support.js';

export const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const DAY = 86_400_000;

// Small pools make equalities and substrings hit often; random strings cover the rest.
const TEXTS = ['DE', 'de', 'AT', 'pro', 'Pro', 'PRO', 'Straße', 'STRASSE', 'ÄÖÜ', 'äöü', 'É', 'é', 'a%b', 'a_b', 'x\\y', '%', '_', '', "O'Brien", 'İ', 'ı', '😀x'];
// no lone surrogates (they cannot be stored as UTF-8) and no NUL (values reject it)
const wellFormed = (s: string) => !/\p{Cs}/u.test(s) && !s.includes('\u0000');
export const text = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...TEXTS) },
  { weight: 1, arbitrary: fc.string({ maxLength: 6 }).filter(wellFormed) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 4 }).filter(wellFormed) },
);
const needle = fc.oneof(text, fc.constantFrom('e', 'E', 'r', 'ß', 'ä', 'Ä', 'é', 'É', 'i', 'I', '%', '_', '\\', 'b', 'a_', '%b'));
const NUMBERS = [0, 1, 10, 99.5, 100, 500, 500.01, -3, 1e6];
const number = fc.oneof(fc.constantFrom(...NUMBERS), fc.integer({ min: -1000, max: 1000 }), fc.double({ min: -1e6, max: 1e6, noNaN: true }));
const SPANS = { '30m': 30 * 60_000, '12h': 12 * 3_600_000, '90d': 90 * DAY, '2w': 14 * DAY };
const when = fc.oneof(
  fc.integer({ min: NOW - 800 * DAY, max: NOW + 5 * DAY }),
  // the edges of relative spans and of whole days
  fc.constantFrom(...Object.values(SPANS).flatMap((s) => [NOW - s, NOW - s - 1, NOW - s + 1]), Date.UTC(2025, 5, 1), Date.UTC(2025, 5, 1) - 1, Date.UTC(2025, 5, 2)),
);
const nullable = <T>(a: fc.Arbitrary<T>) => fc.oneof({ weight: 1, arbitrary: fc.constant(null) }, { weight: 3, arbitrary: a });

const attrValue: fc.Arbitrary<unknown> = fc.oneof(
  text,
  number,
  fc.boolean(),
  fc.constant(null),
  fc.constant([1, 2]),
  fc.record({ a: fc.oneof(text, number, fc.boolean()) }, { requiredKeys: [] }),
);
const attributes = fc.record(
  { plan: attrValue, score: attrValue, flag: attrValue, 'x-y': attrValue, nested: attrValue },
  { requiredKeys: [] },
);

export const customer: fc.Arbitrary<TestCustomer> = fc.record({
  email: nullable(text),
  country: nullable(text),
  first_name: nullable(text),
  lifetime_value: nullable(number),
  order_count: nullable(fc.integer({ min: 0, max: 20 })),
  last_order_at: nullable(when),
  created_at: when,
  email_opt_in: fc.boolean(),
  sms_opt_in: fc.boolean(),
  attributes,
});

const STRING_FIELDS = ['email', 'country', 'first_name', 'phone'];
const NUMBER_FIELDS = ['lifetime_value', 'order_count', 'id'];
const DATE_FIELDS = ['last_order_at', 'created_at'];
const BOOL_FIELDS = ['email_opt_in', 'sms_opt_in'];
const ATTRS = ['attributes.plan', 'attributes.score', 'attributes.flag', 'attributes.x-y', 'attributes.nested.a', 'attributes.absent'];

const isoDate = fc.oneof(
  when.map((t) => new Date(t).toISOString()),
  when.map((t) => new Date(t).toISOString().slice(0, 10)),
  when.map((t) => new Date(t + 2 * 3_600_000).toISOString().slice(0, 19) + '+02:00'),
);
const presence = (f: string) => fc.tuple(fc.constantFrom('exists', 'missing'), fc.boolean()).map(([op, v]) => ({ [f]: { [op]: v } }));
const op1 = <T>(f: string, ops: string[], v: fc.Arbitrary<T>) => fc.tuple(fc.constantFrom(...ops), v).map(([op, value]) => ({ [f]: { [op]: value } }));
const sortedPair = <T>(a: fc.Arbitrary<T>, cmp: (x: T, y: T) => number) => fc.tuple(a, a).map((p) => p.sort(cmp));

const numberLeaf = fc.constantFrom(...NUMBER_FIELDS).chain((f) =>
  fc.oneof(
    op1(f, ['eq', 'ne', 'gt', 'gte', 'lt', 'lte'], number),
    sortedPair(number, (a, b) => a - b).map((p) => ({ [f]: { between: p } })),
    op1(f, ['in', 'not_in'], fc.array(number, { minLength: 1, maxLength: 12 })),
    presence(f),
  ),
);
const stringLeaf = fc.constantFrom(...STRING_FIELDS).chain((f) =>
  fc.oneof(
    op1(f, ['eq', 'ne'], text),
    text.map((v) => ({ [f]: v })),
    op1(f, ['in', 'not_in'], fc.array(text, { minLength: 1, maxLength: 12 })),
    op1(f, ['contains', 'starts_with', 'ends_with'], needle),
    presence(f),
  ),
);
const boolLeaf = fc.constantFrom(...BOOL_FIELDS).chain((f) => fc.oneof(fc.boolean().map((v) => ({ [f]: v })), op1(f, ['eq'], fc.boolean()), presence(f)));
const dateLeaf = fc.constantFrom(...DATE_FIELDS).chain((f) =>
  fc.oneof(
    op1(f, ['before', 'after'], isoDate),
    sortedPair(isoDate, (a, b) => Date.parse(a) - Date.parse(b)).map((p) => ({ [f]: { between: p } })),
    op1(f, ['within', 'older_than'], fc.constantFrom(...Object.keys(SPANS))),
    presence(f),
  ),
);
const attrLeaf = fc.constantFrom(...ATTRS).chain((f) =>
  fc.oneof(
    op1(f, ['eq', 'ne'], fc.oneof(text, number, fc.boolean())),
    op1(f, ['gt', 'gte', 'lt', 'lte'], number),
    sortedPair(number, (a, b) => a - b).map((p) => ({ [f]: { between: p } })),
    op1(f, ['in', 'not_in'], fc.oneof(fc.array(text, { minLength: 1, maxLength: 3 }), fc.array(number, { minLength: 1, maxLength: 3 }))),
    op1(f, ['contains', 'starts_with', 'ends_with'], needle),
    presence(f),
  ),
);
const leaf = fc.oneof(numberLeaf, stringLeaf, boolLeaf, dateLeaf, attrLeaf);

export function condition(withRef: boolean) {
  return fc.letrec<{ cond: unknown }>((tie) => ({
    cond: fc.oneof(
      { depthSize: 'small', withCrossShrink: true },
      leaf,
      ...(withRef ? [fc.constant({ segment: 'base' })] : []),
      fc.array(tie('cond'), { maxLength: 3 }).map((items) => ({ all: items })),
      fc.array(tie('cond'), { maxLength: 3 }).map((items) => ({ any: items })),
      tie('cond').map((c) => ({ not: c })),
      // longer than the emitter's flat chain: compiled as a balanced tree of halves
      fc.tuple(fc.constantFrom('all', 'any'), fc.array(fc.oneof(leaf, tie('cond')), { minLength: 9, maxLength: 24 })).map(([k, items]) => ({ [k]: items })),
    ),
  })).cond;
}
