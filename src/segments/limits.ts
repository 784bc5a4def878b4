/**
 * What SQLite can run, checked while a definition is resolved, so that `segment validate`,
 * `segment count` and `campaign prepare` report it with `file:line:col` (exit 65) instead of
 * failing inside a query (exit 1, "a bug in mkt").
 *
 * SQLite's compile-time limits, as better-sqlite3 builds it (SQLite's defaults;
 * test/unit/segments/limits.test.ts reads them back from `PRAGMA compile_options`):
 * - SQLITE_MAX_EXPR_DEPTH: the height of one expression tree ("Expression tree is too large");
 * - SQLITE_MAX_VARIABLE_NUMBER: bound values in one statement ("too many SQL variables");
 * - SQLITE_MAX_LIKE_PATTERN_LENGTH: bytes in one LIKE pattern ("LIKE or GLOB pattern too complex");
 * - SQLITE_MAX_PARSER_DEPTH: entries on the parser's stack while it reads one statement
 *   ("Recursion limit"); nesting uses about three per level.
 * `in:` lists bind one JSON value whatever their length (src/db/segment-sql.ts), and long
 * `all:`/`any:` lists compile to balanced trees, so neither runs into these by itself.
 */
import { filterSqlCost } from '../db/segment-sql.js';
import type { SourcePosition } from '../errors.js';
import type { Filter } from './ast.js';
import type { Issue as SegmentIssue } from '../workspace/issue.js';

export const SQLITE_MAX_EXPR_DEPTH = 1000;
export const SQLITE_MAX_VARIABLE_NUMBER = 32_766;
export const SQLITE_MAX_LIKE_PATTERN_LENGTH = 50_000;
export const SQLITE_MAX_PARSER_DEPTH = 2500;

/**
 * mkt's own limit: `all` / `any` / `not` nest at most this deep, counted through `segment:`
 * references (a mapping with several entries is an `all`). Well inside SQLite's depth, and it
 * keeps the recursive parser far from the JavaScript stack.
 */
export const MAX_NESTING = 100;

/** Kept free for the statements a filter is embedded in (prepare's classification, pre-flight's sample). */
const RESERVED_DEPTH = 24;
const RESERVED_VARIABLES = 766;
const RESERVED_PARSER_DEPTH = 50;
export const MAX_FILTER_DEPTH = SQLITE_MAX_EXPR_DEPTH - RESERVED_DEPTH;
export const MAX_FILTER_PARSER_DEPTH = SQLITE_MAX_PARSER_DEPTH - RESERVED_PARSER_DEPTH;
export const MAX_FILTER_VARIABLES = SQLITE_MAX_VARIABLE_NUMBER - RESERVED_VARIABLES;

export function nestingMessage(): string {
  return `nested more than ${MAX_NESTING} levels deep (all / any / not, counted through segment references); flatten the conditions or split them into fewer levels`;
}

/**
 * The problems that would stop SQLite from running a resolved filter. `at` is where the
 * segment's `where:` is written; a nesting problem names the combinator that goes too deep.
 */
export function checkLimits(filter: Filter, at: SourcePosition): SegmentIssue[] {
  const deep = tooDeep(filter, 0, at);
  if (deep) return [{ ...deep, message: nestingMessage() }];
  const cost = filterSqlCost(filter);
  const issues: SegmentIssue[] = [];
  if (cost.depth > MAX_FILTER_DEPTH) {
    issues.push({
      ...at,
      message:
        `this filter compiles to an SQL expression ${cost.depth} levels high; SQLite runs at most ${SQLITE_MAX_EXPR_DEPTH} ` +
        `(SQLITE_MAX_EXPR_DEPTH) and mkt keeps ${RESERVED_DEPTH} for the query around it; nest fewer levels`,
    });
  }
  if (cost.parserDepth > MAX_FILTER_PARSER_DEPTH) {
    issues.push({
      ...at,
      message:
        `this filter nests too deep for SQLite's parser (${cost.parserDepth} stack entries; SQLite takes at most ${SQLITE_MAX_PARSER_DEPTH}, ` +
        `SQLITE_MAX_PARSER_DEPTH, and mkt keeps ${RESERVED_PARSER_DEPTH} for the query around it); nest fewer levels`,
    });
  }
  if (cost.variables > MAX_FILTER_VARIABLES) {
    issues.push({
      ...at,
      message:
        `this filter binds ${cost.variables} values; SQLite binds at most ${SQLITE_MAX_VARIABLE_NUMBER} per query ` +
        `(SQLITE_MAX_VARIABLE_NUMBER) and mkt keeps ${RESERVED_VARIABLES} for the query around it; ` +
        `write many equalities on one field as one \`in:\` list (a list of any length binds one value)`,
    });
  }
  return issues;
}

/** The first combinator deeper than MAX_NESTING (its position, or its nearest written ancestor's). */
function tooDeep(f: Filter, depth: number, near: SourcePosition): SourcePosition | undefined {
  if (f.kind !== 'all' && f.kind !== 'any' && f.kind !== 'not') return undefined;
  const here = f.at ?? near;
  if (depth + 1 > MAX_NESTING) return here;
  const items = f.kind === 'not' ? [f.item] : f.items;
  for (const item of items) {
    const found = tooDeep(item, depth + 1, here);
    if (found) return found;
  }
  return undefined;
}
