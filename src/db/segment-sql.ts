/**
 * Segment filter → SQLite. Every piece of SQL text here is written by this file; field names
 * are looked up in the whitelist and every value — including JSON paths into `attributes` —
 * is a bound parameter.
 *
 * Meaning (the plain evaluator in src/segments/evaluate.ts states the same and the property
 * tests hold the two together):
 * - A comparison with a missing value is false and `not` of it is true. SQL's NOT(NULL) is NULL,
 *   so below a `not` every leaf is compiled two-valued (`col IS NOT NULL AND …`, or COALESCE for
 *   JSON). Outside any `not` a NULL leaf already acts as false, and the plain form keeps the SQL
 *   identical to what a person would write (same plan, same speed).
 * - contains / starts_with / ends_with use LIKE with `\` escaping `%`, `_` and `\` in the value.
 *   SQLite's LIKE folds the case of ASCII letters only; other characters must match exactly.
 * - Attribute values are typed by JSON: a number test only sees JSON numbers, a text test only
 *   JSON strings, a boolean test only true/false (json_type), so "10" never equals 10.
 * - Dates are integer epoch ms; `within` is `>= now − span`, `older_than` is `< now − span`.
 */
import type { Filter, Leaf } from '../segments/ast.js';
import { isColumnName, type Field } from '../segments/fields.js';
import { CUSTOMER_ROW_COLUMNS } from './customer-columns.js';
import type { SqlFragment } from './sql-fragment.js';

const OPS = { eq: '=', ne: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' } as const;
const JSON_TYPES = { number: "('integer', 'real')", string: "('text')" } as const;

/** The SQLite JSON path of an attribute, every key quoted: `$."plan"`. Bound, never spliced. */
export function attributeJsonPath(path: string[]): string {
  return '$' + path.map((k) => `."${k}"`).join('');
}

/** Compiles a resolved filter to a boolean expression over `customers c`. */
export function filterToSql(filter: Filter, now: Date): SqlFragment {
  const params: unknown[] = [];
  const text = emit(filter, { params, now: now.getTime(), underNot: false });
  return { text: `(${text})`, params };
}

interface Emit {
  params: unknown[];
  now: number;
  /** inside a `not`: leaves must be two-valued */
  underNot: boolean;
}

function emit(f: Filter, e: Emit): string {
  switch (f.kind) {
    case 'all':
    case 'any':
      if (f.items.length === 0) return f.kind === 'all' ? '1' : '0';
      return '(' + f.items.map((i) => emit(i, e)).join(f.kind === 'all' ? ' AND ' : ' OR ') + ')';
    case 'not':
      return `NOT ${emit(f.item, { ...e, underNot: true })}`;
    default:
      return f.field.kind === 'column' ? columnLeaf(f, columnSql(f.field), e) : attributeLeaf(f, f.field.path, e);
  }
}

/** The whitelisted column reference; anything else is a bug, never user text. */
function columnSql(field: Field): string {
  if (field.kind !== 'column' || !isColumnName(field.name)) throw new Error(`not a customer column: ${JSON.stringify(field.name)}`);
  return `c.${field.name}`;
}

function bind(e: Emit, value: unknown): string {
  e.params.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
  return '?';
}

/** The comparison part of a leaf on a value expression `x` (NULL when x is NULL). */
function test(leaf: Exclude<Leaf, { kind: 'exists' }>, x: string, e: Emit): string {
  switch (leaf.kind) {
    case 'cmp':
      return `${x} ${OPS[leaf.op]} ${bind(e, leaf.value)}`;
    case 'in':
      return `${x} ${leaf.negate ? 'NOT IN' : 'IN'} (${leaf.values.map((v) => bind(e, v)).join(', ')})`;
    case 'text':
      return `${x} LIKE ${bind(e, likePattern(leaf.op, leaf.value))} ESCAPE '\\'`;
    case 'within':
      return `${x} ${leaf.negate ? '<' : '>='} ${bind(e, e.now - leaf.spanMs)}`;
  }
}

function columnLeaf(leaf: Leaf, col: string, e: Emit): string {
  if (leaf.kind === 'exists') return `${col} ${leaf.present ? 'IS NOT NULL' : 'IS NULL'}`;
  if (!e.underNot) return test(leaf, col, e);
  return `(${col} IS NOT NULL AND ${test(leaf, col, e)})`;
}

function attributeLeaf(leaf: Leaf, path: string[], e: Emit): string {
  const jsonPath = attributeJsonPath(path);
  if (leaf.kind === 'exists') return `json_extract(c.attributes, ${bind(e, jsonPath)}) ${leaf.present ? 'IS NOT NULL' : 'IS NULL'}`;
  let sql: string;
  if (leaf.kind === 'cmp' && leaf.type === 'boolean') {
    // JSON true/false are told apart from the numbers 1/0 only by json_type
    const wanted = (leaf.op === 'eq') === leaf.value ? 'true' : 'false';
    sql = `json_type(c.attributes, ${bind(e, jsonPath)}) = '${wanted}'`;
  } else {
    const type = leaf.kind === 'text' ? 'string' : leaf.kind === 'within' ? 'number' : (leaf.type as 'number' | 'string');
    // the value test first: it rejects most rows, so the type check runs only on candidates
    const value = test(leaf, `json_extract(c.attributes, ${bind(e, jsonPath)})`, e);
    sql = `(${value} AND json_type(c.attributes, ${bind(e, jsonPath)}) IN ${JSON_TYPES[type]})`;
  }
  // json_type of an absent key is NULL, and NULL IN (…) is NULL: make it false below a `not`
  return e.underNot ? `COALESCE(${sql}, 0)` : sql;
}

function likePattern(op: 'contains' | 'starts_with' | 'ends_with', value: string): string {
  const escaped = value.replace(/[\\%_]/g, (ch) => '\\' + ch);
  return op === 'contains' ? `%${escaped}%` : op === 'starts_with' ? `${escaped}%` : `%${escaped}`;
}

/** `SELECT count(*)` of the customers matching a filter fragment. */
export function countSql(where: SqlFragment): SqlFragment {
  return { text: `SELECT count(*) AS n FROM customers c WHERE ${where.text}`, params: where.params };
}

/**
 * Counts per value of a field. Dates are grouped by UTC month (`2024-05`); a missing value is
 * grouped as NULL. Largest groups first.
 */
export function breakdownSql(where: SqlFragment, by: Field): SqlFragment {
  const params: unknown[] = [];
  let key: string;
  if (by.kind === 'attribute') {
    key = 'json_extract(c.attributes, ?)';
    params.push(attributeJsonPath(by.path));
  } else {
    const col = columnSql(by);
    key = by.type === 'date' ? `strftime('%Y-%m', ${col} / 1000, 'unixepoch')` : col;
  }
  return {
    text: `SELECT ${key} AS k, count(*) AS n FROM customers c WHERE ${where.text} GROUP BY k ORDER BY n DESC, k`,
    params: [...params, ...where.params],
  };
}

/** The first `limit` matching customers in id order, as CustomerRow objects. */
export function previewSql(where: SqlFragment, limit: number): SqlFragment {
  return { text: `SELECT ${CUSTOMER_ROW_COLUMNS} FROM customers c WHERE ${where.text} ORDER BY c.id LIMIT ?`, params: [...where.params, limit] };
}
