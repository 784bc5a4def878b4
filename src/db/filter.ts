/**
 * What src/db compiles a segment to SQL from: the resolved filter tree and the whitelist of
 * customer fields it may name. The segment language (src/segments/) parses YAML into these
 * types and re-exports them; they live here so that src/db depends on nothing above it.
 *
 * Dates are normalised to integer epoch milliseconds at parse time, so a date condition is a
 * number comparison on the stored value; only `within`/`older_than` depend on "now".
 */
import type { SourcePosition } from '../errors.js';

export type FieldType = 'number' | 'string' | 'boolean' | 'date';

/**
 * The customer columns a segment may filter on, under their snake_case names (as in
 * CustomerRecord), each with the type that decides which operators fit. This table is the
 * whitelist: a field name that is not here never reaches SQL.
 */
export const COLUMN_FIELDS = {
  id: 'number',
  external_id: 'string',
  email: 'string',
  phone: 'string',
  first_name: 'string',
  last_name: 'string',
  country: 'string',
  timezone: 'string',
  locale: 'string',
  lifetime_value: 'number',
  order_count: 'number',
  last_order_at: 'date',
  created_at: 'date',
  updated_at: 'date',
  email_opt_in: 'boolean',
  sms_opt_in: 'boolean',
  whatsapp_opt_in: 'boolean',
} as const satisfies Record<string, FieldType>;

export type ColumnName = keyof typeof COLUMN_FIELDS;

/** A resolved field: a whitelisted column, or a path inside the attributes JSON object. */
export type Field = { kind: 'column'; name: ColumnName; type: FieldType } | { kind: 'attribute'; name: string; path: string[] };

export function isColumnName(name: string): name is ColumnName {
  return Object.prototype.hasOwnProperty.call(COLUMN_FIELDS, name);
}

/** What a leaf compares: number (also dates, as epoch ms), exact string, boolean. */
export type ValueType = 'number' | 'string' | 'boolean';

export type CmpOp = 'eq' | 'ne' | 'gt' | 'gte' | 'lt' | 'lte';
export type TextOp = 'contains' | 'starts_with' | 'ends_with';

export type Leaf =
  | { kind: 'cmp'; field: Field; type: ValueType; op: CmpOp; value: number | string | boolean }
  /** `in` / `not_in` (negate) over numbers or strings */
  | { kind: 'in'; field: Field; type: 'number' | 'string'; values: Array<number | string>; negate: boolean }
  /** case-insensitive (ASCII letters) substring tests on strings */
  | { kind: 'text'; field: Field; op: TextOp; value: string }
  /** date within `spanMs` before now (at or after now − span); negate = older_than (before now − span) */
  | { kind: 'within'; field: Field; spanMs: number; negate: boolean }
  /** `exists: true` / `missing: false` (present) and the opposite */
  | { kind: 'exists'; field: Field; present: boolean };

/** `at`: where the combinator is written, so that limits on nesting can name the line. */
export type Node<X> =
  | { kind: 'all'; items: Array<Node<X>>; at?: SourcePosition }
  | { kind: 'any'; items: Array<Node<X>>; at?: SourcePosition }
  | { kind: 'not'; item: Node<X>; at?: SourcePosition }
  | Leaf
  | X;

/** A condition with every segment reference replaced by that segment's filter. */
export type Filter = Node<never>;
