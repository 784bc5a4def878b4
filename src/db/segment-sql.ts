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
import { CUSTOMER_ROW_COLUMNS } from './customer-columns.js';
import { isColumnName, type Field, type Filter, type Leaf } from './filter.js';
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
  // parenthesised, so that callers can embed it next to AND / OR
  const expr = paren(emit(filter, { params, now: now.getTime(), underNot: false }));
  return { text: expr.sql, params };
}

/**
 * What a filter costs SQLite: the height of its expression tree (refused above
 * SQLITE_MAX_EXPR_DEPTH, "Expression tree is too large"), how deep SQLite's parser stack goes
 * while reading it (refused above SQLITE_MAX_PARSER_DEPTH, "Recursion limit") and how many values
 * it binds (at most SQLITE_MAX_VARIABLE_NUMBER per statement). Computed by the emitter itself,
 * so it is exactly what `filterToSql` builds; src/segments/limits.ts checks it before any query.
 */
export function filterSqlCost(filter: Filter): { depth: number; parserDepth: number; variables: number } {
  const params: unknown[] = [];
  const expr = paren(emit(filter, { params, now: 0, underNot: false }));
  return { depth: expr.h, parserDepth: expr.p, variables: params.length };
}

interface Emit {
  params: unknown[];
  now: number;
  /** inside a `not`: leaves must be two-valued */
  underNot: boolean;
}

/**
 * SQL text with what it costs SQLite (test/unit/segments/limits.test.ts holds these rules to
 * SQLite at its limits, for every kind of leaf):
 * - `h`, the expression tree's height, exactly: a column, a bound value or a literal is 1; an
 *   operator or a function is one more than its highest operand; parentheses add nothing.
 * - `p`, the parser stack entries in use while reading it, from above (at most a few more than
 *   SQLite uses): a token is 1 and `c.col` 3; the right operand of a binary operator sits on 2
 *   more (the left operand and the operator); a parenthesis or a prefix NOT adds 1; a
 *   function's first argument sits on 3 more (name, parenthesis, an empty DISTINCT), later
 *   ones on 5.
 */
interface Expr {
  sql: string;
  h: number;
  p: number;
}

const atom = (sql: string): Expr => ({ sql, h: 1, p: 1 });
const binary = (l: Expr, op: string, r: Expr): Expr => ({ sql: `${l.sql} ${op} ${r.sql}`, h: 1 + Math.max(l.h, r.h), p: Math.max(l.p, 2 + r.p) });
const paren = (e: Expr): Expr => ({ sql: `(${e.sql})`, h: e.h, p: 1 + e.p });
const not = (e: Expr): Expr => ({ sql: `NOT ${e.sql}`, h: 1 + e.h, p: 1 + e.p });
const call = (name: string, ...args: Expr[]): Expr => ({
  sql: `${name}(${args.map((a) => a.sql).join(', ')})`,
  h: 1 + Math.max(...args.map((a) => a.h)),
  p: Math.max(...args.map((a, i) => (i === 0 ? 3 : 5) + a.p)),
});
/** `x <tail>` where the tail is a fixed phrase (IS NOT NULL, IN (…), LIKE ? ESCAPE …) of known cost. */
const suffix = (x: Expr, tail: string, cost: { h: number; p: number }): Expr => ({ sql: `${x.sql} ${tail}`, h: 1 + Math.max(x.h, cost.h), p: Math.max(x.p, cost.p) });
/** A qualified column name is three tokens (`c`, `.`, `name`) before the parser reduces it. */
const column = (sql: string): Expr => ({ sql, h: 1, p: 3 });

/** Lists up to this long are joined as written (a chain, one level per item); longer ones as a balanced tree. */
const FLAT = 8;

function emit(f: Filter, e: Emit): Expr {
  switch (f.kind) {
    case 'all':
    case 'any':
      if (f.items.length === 0) return atom(f.kind === 'all' ? '1' : '0');
      return join(
        f.items.map((i) => emit(i, e)),
        f.kind === 'all' ? 'AND' : 'OR',
      );
    case 'not':
      return not(emit(f.item, { ...e, underNot: true }));
    default:
      return f.field.kind === 'column' ? columnLeaf(f, columnSql(f.field), e) : attributeLeaf(f, f.field.path, e);
  }
}

/**
 * `(a OP b OP c)`. SQLite builds a chain, one level per operator, so `any:` of 999 conditions
 * would be 999 levels high; beyond FLAT items the list is split into parenthesised halves, a
 * balanced tree whose height grows with log2 of the length. AND/OR are associative and SQLite's
 * planner splits nested ANDs and ORs the same way, so the meaning and the plan are unchanged.
 */
function join(parts: Expr[], op: string): Expr {
  if (parts.length <= FLAT) return paren(parts.slice(1).reduce((acc, p) => binary(acc, op, p), parts[0]!));
  const mid = Math.ceil(parts.length / 2);
  return paren(binary(join(parts.slice(0, mid), op), op, join(parts.slice(mid), op)));
}

/** The whitelisted column reference; anything else is a bug, never user text. */
function columnSql(field: Field): Expr {
  if (field.kind !== 'column' || !isColumnName(field.name)) throw new Error(`not a customer column: ${JSON.stringify(field.name)}`);
  return column(`c.${field.name}`);
}

function bind(e: Emit, value: unknown): Expr {
  e.params.push(typeof value === 'boolean' ? (value ? 1 : 0) : value);
  return atom('?');
}

// the fixed phrases' own costs, beside the value they follow (measured against SQLite)
const IS_NULL = { h: 1, p: 4 };
const IN_TYPES = { h: 1, p: 6 };
const LIKE = { h: 1, p: 6 };
/** SQLite counts the left operand into the subquery's height too: 2·h(x), measured for a column and json_extract (the only two mkt writes). */
const inJson = (x: Expr) => ({ h: 2 * x.h, p: 16 });

/**
 * `x [NOT] IN (SELECT value FROM json_each(?))`: an `in` list is ONE bound JSON array, so a
 * list of any length binds one value (SQLite allows 32,766 per statement); json_each keeps each
 * value's type (a JSON number is an integer or real, a string is text), so it compares exactly
 * as separately bound values did. The subquery is uncorrelated: SQLite builds its lookup table
 * once per statement.
 */
function inList(x: Expr, e: Emit, values: Array<number | string>, negate: boolean): Expr {
  bind(e, JSON.stringify(values));
  return suffix(x, `${negate ? 'NOT IN' : 'IN'} (SELECT value FROM json_each(?))`, inJson(x));
}

/** The comparison part of a leaf on a value expression `x` (NULL when x is NULL). */
function test(leaf: Exclude<Leaf, { kind: 'exists' }>, x: Expr, e: Emit): Expr {
  switch (leaf.kind) {
    case 'cmp':
      return binary(x, OPS[leaf.op], bind(e, leaf.value));
    case 'in':
      return inList(x, e, leaf.values, leaf.negate);
    case 'text':
      bind(e, likePattern(leaf.op, leaf.value));
      return suffix(x, "LIKE ? ESCAPE '\\'", LIKE);
    case 'within':
      return binary(x, leaf.negate ? '<' : '>=', bind(e, e.now - leaf.spanMs));
  }
}

const isNull = (x: Expr, present: boolean) => suffix(x, present ? 'IS NOT NULL' : 'IS NULL', IS_NULL);

function columnLeaf(leaf: Leaf, col: Expr, e: Emit): Expr {
  if (leaf.kind === 'exists') return isNull(col, leaf.present);
  if (!e.underNot) return test(leaf, col, e);
  return paren(binary(isNull(col, true), 'AND', test(leaf, col, e)));
}

function attributeLeaf(leaf: Leaf, path: string[], e: Emit): Expr {
  const jsonPath = attributeJsonPath(path);
  const fn = (name: string) => call(name, column('c.attributes'), bind(e, jsonPath));
  if (leaf.kind === 'exists') return isNull(fn('json_extract'), leaf.present);
  let expr: Expr;
  if (leaf.kind === 'cmp' && leaf.type === 'boolean') {
    // JSON true/false are told apart from the numbers 1/0 only by json_type
    const wanted = (leaf.op === 'eq') === leaf.value ? 'true' : 'false';
    expr = binary(fn('json_type'), '=', atom(`'${wanted}'`));
  } else {
    const type = leaf.kind === 'text' ? 'string' : leaf.kind === 'within' ? 'number' : (leaf.type as 'number' | 'string');
    // the value test first: it rejects most rows, so the type check runs only on candidates
    const value = test(leaf, fn('json_extract'), e);
    expr = paren(binary(value, 'AND', suffix(fn('json_type'), `IN ${JSON_TYPES[type]}`, IN_TYPES)));
  }
  // json_type of an absent key is NULL, and NULL IN (…) is NULL: make it false below a `not`
  return e.underNot ? call('COALESCE', expr, atom('0')) : expr;
}

/** The LIKE pattern of a text test; SQLite refuses patterns over SQLITE_MAX_LIKE_PATTERN_LENGTH bytes. */
export function likePattern(op: 'contains' | 'starts_with' | 'ends_with', value: string): string {
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
    const col = columnSql(by).sql;
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
