/**
 * The typed form of a segment filter. The parser turns YAML into `Cond` (which may still name
 * other segments); resolving references gives a `Filter`, which the SQL emitter
 * (src/db/segment-sql.ts) and the plain evaluator (./evaluate.ts) both take.
 *
 * Dates are normalised to integer epoch milliseconds at parse time, so a date condition is a
 * number comparison on the stored value; only `within`/`older_than` depend on "now".
 */
import type { SourcePosition } from '../errors.js';
import type { Field } from './fields.js';

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

/** A reference to another segment, as written (`segment: churn-risk`). */
export interface Ref {
  kind: 'ref';
  name: string;
  at: SourcePosition;
}

/** A condition as parsed from one file. */
export type Cond = Node<Ref>;

/** A condition with every segment reference replaced by that segment's filter. */
export type Filter = Node<never>;

export const TRUE_FILTER: Filter = { kind: 'all', items: [] };
