/**
 * The typed form of a segment filter. The parser turns YAML into `Cond` (which may still name
 * other segments); resolving references gives a `Filter`, which the SQL emitter
 * (src/db/segment-sql.ts) and the plain evaluator (./evaluate.ts) both take.
 *
 * Dates are normalised to integer epoch milliseconds at parse time, so a date condition is a
 * number comparison on the stored value; only `within`/`older_than` depend on "now".
 */
import type { SourcePosition } from '../errors.js';
import type { Filter, Node } from '../db/filter.js';

export type { CmpOp, Filter, Leaf, Node, TextOp, ValueType } from '../db/filter.js';

/** A reference to another segment, as written (`segment: churn-risk`). */
export interface Ref {
  kind: 'ref';
  name: string;
  at: SourcePosition;
}

/** A condition as parsed from one file. */
export type Cond = Node<Ref>;

export const TRUE_FILTER: Filter = { kind: 'all', items: [] };
