/**
 * The plain evaluator: decides whether one customer matches a filter, in TypeScript, with no
 * SQL. The property tests use it as the oracle for the SQL emitter, so it states the meaning of
 * every operator directly:
 * - a comparison with a missing value (null, absent, or of another type for attributes) is false,
 *   and `not` of it is true — two-valued logic, unlike SQL's NULL;
 * - contains / starts_with / ends_with ignore the case of ASCII letters A–Z only (as SQLite's
 *   LIKE does); other characters compare exactly;
 * - eq / ne / in / not_in on text are exact;
 * - `within: S` holds for dates at or after now − S, `older_than: S` for dates before it.
 */
import type { CustomerRecord } from '../customers/record.js';
import type { Filter, Leaf, ValueType } from './ast.js';
import type { Field } from './fields.js';

export function matches(filter: Filter, customer: CustomerRecord, now: Date): boolean {
  switch (filter.kind) {
    case 'all':
      return filter.items.every((f) => matches(f, customer, now));
    case 'any':
      return filter.items.some((f) => matches(f, customer, now));
    case 'not':
      return !matches(filter.item, customer, now);
    default:
      return leafMatches(filter, customer, now);
  }
}

function leafMatches(leaf: Leaf, customer: CustomerRecord, now: Date): boolean {
  const raw = rawValue(leaf.field, customer);
  switch (leaf.kind) {
    case 'exists':
      return (raw !== undefined) === leaf.present;
    case 'cmp': {
      const v = typed(raw, leaf.type);
      if (v === undefined) return false;
      switch (leaf.op) {
        case 'eq':
          return v === leaf.value;
        case 'ne':
          return v !== leaf.value;
        case 'gt':
          return v > leaf.value;
        case 'gte':
          return v >= leaf.value;
        case 'lt':
          return v < leaf.value;
        case 'lte':
          return v <= leaf.value;
      }
      return false;
    }
    case 'in': {
      const v = typed(raw, leaf.type);
      if (v === undefined) return false;
      return leaf.values.includes(v as number | string) !== leaf.negate;
    }
    case 'text': {
      const v = typed(raw, 'string');
      if (typeof v !== 'string') return false;
      const hay = asciiLower(v);
      const needle = asciiLower(leaf.value);
      if (leaf.op === 'contains') return hay.includes(needle);
      return leaf.op === 'starts_with' ? hay.startsWith(needle) : hay.endsWith(needle);
    }
    case 'within': {
      const v = typed(raw, 'number');
      if (typeof v !== 'number') return false;
      const since = now.getTime() - leaf.spanMs;
      return leaf.negate ? v < since : v >= since;
    }
  }
}

/** Lower-cases A–Z only, exactly like SQLite's built-in case folding. */
export function asciiLower(s: string): string {
  return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
}

/** The stored value of a field, or undefined when missing (null or absent). Dates become epoch ms. */
function rawValue(field: Field, customer: CustomerRecord): unknown {
  if (field.kind === 'column') {
    const v = customer[field.name];
    if (v === null || v === undefined) return undefined;
    return field.type === 'date' ? Date.parse(v as string) : v;
  }
  let v: unknown = customer.attributes;
  for (const key of field.path) {
    if (!v || typeof v !== 'object' || Array.isArray(v) || !Object.prototype.hasOwnProperty.call(v, key)) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v === null ? undefined : v;
}

/** The value when it has the type the leaf compares, else undefined (a mismatch counts as missing). */
function typed(raw: unknown, type: ValueType): number | string | boolean | undefined {
  if (type === 'number') return typeof raw === 'number' ? raw : undefined;
  if (type === 'string') return typeof raw === 'string' ? raw : undefined;
  return typeof raw === 'boolean' ? raw : undefined;
}
