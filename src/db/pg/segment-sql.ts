/**
 * Segment filter → PostgreSQL: the dialect twin of ../segment-sql.ts (SQLite), with the same
 * meaning, which src/segments/evaluate.ts states and the store contract suite holds both stores
 * to. All SQL text is written here; field names come from the whitelist; every value, JSON
 * paths included, is a bound `$n` parameter with an explicit type.
 *
 * Where PostgreSQL differs from SQLite, and what this does about it:
 * - Attributes are jsonb. A leaf reads them through a *typed* value: `CASE WHEN
 *   jsonb_typeof(j) = 'number' THEN j::float8 END` is NULL for a missing key, a JSON null or
 *   another type, so attribute leaves get exactly the missing-value rules of columns (and "10"
 *   never equals 10). A JSON null counts as missing, as json_extract's NULL does in SQLite.
 * - LIKE is case-sensitive in PostgreSQL and ILIKE folds every letter by locale; SQLite folds
 *   ASCII letters only. Both sides are folded with translate() over A–Z, which is SQLite's rule.
 * - The opt-ins are boolean columns: booleans bind as booleans.
 * - Numbers bind as bigint when they are safe integers (so indexes on bigint columns apply), as
 *   float8 otherwise; strings as text. Ordering comparisons of strings use COLLATE "C" (code
 *   point order, as SQLite's BINARY); equality needs none (deterministic collations compare bytes).
 * - `in` lists bind as ONE array (`= ANY($n::text[])`), like SQLite's one JSON array.
 * PostgreSQL flattens AND/OR chains itself, so lists are joined as written.
 */
import { isColumnName, type CmpOp, type Field, type Filter, type Leaf } from '../filter.js';
import { likePattern } from '../segment-sql.js';
import type { SqlFragment } from '../sql-fragment.js';

const OPS: Record<CmpOp, string> = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' };
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const asciiLower = (x: string) => `translate(${x}, '${UPPER}', '${UPPER.toLowerCase()}')`;

interface Emit {
  params: unknown[];
  now: number;
  underNot: boolean;
}

/** Compiles a resolved filter to a boolean expression over `customers c`, with `$n` placeholders. */
export function filterToPgSql(filter: Filter, now: Date): SqlFragment {
  const params: unknown[] = [];
  return { text: `(${emit(filter, { params, now: now.getTime(), underNot: false })})`, params };
}

function emit(f: Filter, e: Emit): string {
  switch (f.kind) {
    case 'all':
    case 'any':
      if (f.items.length === 0) return f.kind === 'all' ? 'TRUE' : 'FALSE';
      return '(' + f.items.map((i) => emit(i, e)).join(f.kind === 'all' ? ' AND ' : ' OR ') + ')';
    case 'not':
      return `NOT (${emit(f.item, { ...e, underNot: true })})`;
    default:
      return f.field.kind === 'column' ? columnLeaf(f, e) : attributeLeaf(f, f.field.path, e);
  }
}

function bind(e: Emit, value: unknown, type: string): string {
  e.params.push(value);
  return `$${e.params.length}::${type}`;
}

function bindValue(e: Emit, value: number | string | boolean): string {
  if (typeof value === 'boolean') return bind(e, value, 'boolean');
  if (typeof value === 'string') return bind(e, value, 'text');
  return bind(e, value, Number.isSafeInteger(value) ? 'bigint' : 'float8');
}

/** The whitelisted column reference; anything else is a bug, never user text. */
function columnSql(field: Field): string {
  if (field.kind !== 'column' || !isColumnName(field.name)) throw new Error(`not a customer column: ${JSON.stringify(field.name)}`);
  return `c.${field.name}`;
}

/** The comparison part of a leaf on a value expression `x` (NULL when x is NULL). */
function test(leaf: Exclude<Leaf, { kind: 'exists' }>, x: string, e: Emit): string {
  switch (leaf.kind) {
    case 'cmp': {
      const ordered = leaf.op !== 'eq' && leaf.op !== 'ne' && typeof leaf.value === 'string';
      return `${x}${ordered ? ' COLLATE "C"' : ''} ${OPS[leaf.op]} ${bindValue(e, leaf.value)}`;
    }
    case 'in': {
      const list = bind(e, leaf.values, leaf.type === 'number' ? 'float8[]' : 'text[]');
      return leaf.negate ? `NOT (${x} = ANY(${list}))` : `${x} = ANY(${list})`;
    }
    case 'text':
      return `${asciiLower(x)} LIKE ${asciiLower(bind(e, likePattern(leaf.op, leaf.value), 'text'))} ESCAPE '\\'`;
    case 'within':
      return `${x} ${leaf.negate ? '<' : '>='} ${bind(e, e.now - leaf.spanMs, 'bigint')}`;
  }
}

function leafOn(leaf: Exclude<Leaf, { kind: 'exists' }>, x: string, e: Emit): string {
  // below a `not` a leaf must be two-valued: NOT(NULL) is NULL, and a missing value's `not` is true
  return e.underNot ? `(${x} IS NOT NULL AND ${test(leaf, x, e)})` : test(leaf, x, e);
}

function columnLeaf(leaf: Leaf, e: Emit): string {
  const col = columnSql(leaf.field);
  if (leaf.kind === 'exists') return `${col} ${leaf.present ? 'IS NOT NULL' : 'IS NULL'}`;
  return leafOn(leaf, col, e);
}

function attributeLeaf(leaf: Leaf, path: string[], e: Emit): string {
  const j = `(c.attributes #> ${bind(e, path, 'text[]')})`;
  if (leaf.kind === 'exists') return leaf.present ? `(${j} IS NOT NULL AND ${j} <> 'null'::jsonb)` : `(${j} IS NULL OR ${j} = 'null'::jsonb)`;
  if (leaf.kind === 'cmp' && leaf.type === 'boolean') {
    // only JSON true/false are booleans (not 1/0, not "true")
    const wanted = (leaf.op === 'eq') === leaf.value ? 'true' : 'false';
    return e.underNot ? `COALESCE(${j} = '${wanted}'::jsonb, FALSE)` : `${j} = '${wanted}'::jsonb`;
  }
  const type = leaf.kind === 'text' ? 'string' : leaf.kind === 'within' ? 'number' : leaf.type;
  const typed = type === 'number' ? `(CASE WHEN jsonb_typeof(${j}) = 'number' THEN ${j}::float8 END)` : `(CASE WHEN jsonb_typeof(${j}) = 'string' THEN ${j} #>> '{}' END)`;
  return leafOn(leaf, typed, e);
}

/** `SELECT count(*)` of the customers matching a filter fragment. */
export function countPgSql(where: SqlFragment): SqlFragment {
  return { text: `SELECT count(*) AS n FROM customers c WHERE ${where.text}`, params: where.params };
}

/** The ids of the matching customers in id order. */
export function idsPgSql(where: SqlFragment): SqlFragment {
  return { text: `SELECT c.id AS id FROM customers c WHERE ${where.text} ORDER BY c.id`, params: where.params };
}


/**
 * Matching customers grouped by the value of `by` (`k` null for a missing value), in the forms
 * SQLite's breakdownSql gives: booleans as 0/1, dates by UTC month (`YYYY-MM`). An attribute's
 * key is its jsonb value (grouped as jsonb compares: 2 and 2.0 alike, "2" apart); `attributeKey`
 * turns it into json_extract's form.
 */
export function breakdownPgSql(where: SqlFragment, by: Field): SqlFragment {
  const params = [...where.params];
  let key: string;
  if (by.kind === 'attribute') {
    params.push(by.path);
    key = `(c.attributes #> $${params.length}::text[])`;
  } else {
    const col = columnSql(by);
    key =
      by.type === 'date' ? `to_char(to_timestamp(${col} / 1000.0) AT TIME ZONE 'UTC', 'YYYY-MM')` : by.type === 'boolean' ? `${col}::int` : col;
  }
  return { text: `SELECT ${key} AS k, count(*) AS n FROM customers c WHERE ${where.text} GROUP BY k ORDER BY n DESC, k`, params };
}

/** A jsonb breakdown key (as node-postgres parsed it) in json_extract's form: booleans 1/0, objects and arrays as JSON text. */
export function attributeKey(value: unknown): unknown {
  if (typeof value === 'boolean') return value ? 1 : 0;
  return value !== null && typeof value === 'object' ? JSON.stringify(value) : value;
}
