/**
 * YAML → typed segment conditions, collecting every problem with its `file:line:col` instead
 * of stopping at the first, so that `segment validate` can report them all in one run.
 */
import { isMap, isScalar, isSeq, visit, type Document, type Node as YamlNode, type Pair, Scalar } from 'yaml';
import type { SourcePosition } from '../errors.js';
import type { Issue } from '../workspace/issue.js';
import { YamlFile } from '../workspace/yaml-file.js';
import { didYouMean } from '../util/suggest.js';
import type { Cond, Leaf, Ref, ValueType } from './ast.js';
import { ATTRIBUTE_PREFIX, FIELD_NAMES, resolveField, type Field, type FieldType } from './fields.js';
import { likePattern } from '../db/segment-sql.js';
import { MAX_NESTING, nestingMessage, SQLITE_MAX_LIKE_PATTERN_LENGTH } from './limits.js';
import { DATE_HELP, endOf, parseIsoDate, parseSpan, SPAN_HELP, type ParsedDate } from './values.js';

/** One problem in a definition, where it is: the workspace's one Issue shape. */
export type SegmentIssue = Issue;

export { formatIssue } from '../workspace/issue.js';

export interface SegmentDefinition {
  name: string;
  /** the file as shown in messages, e.g. `segments/churn-risk.yaml` */
  file: string;
  description?: string;
  where?: Cond;
  /** where `where:` is written (limits on the whole filter are reported there) */
  whereAt?: SourcePosition;
  /** every `segment:` reference written in the file, even where the rest did not parse */
  refs: Ref[];
}

export const COMBINATORS = ['all', 'any', 'not', 'segment'] as const;
const TOP_LEVEL_KEYS = ['description', 'where'];

/** Which operators fit which kind of field. Attributes are untyped: the value decides. */
export const OPERATORS: Record<FieldType | 'attribute', readonly string[]> = {
  number: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', 'exists', 'missing'],
  string: ['eq', 'ne', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', 'exists', 'missing'],
  boolean: ['eq', 'exists', 'missing'],
  date: ['before', 'after', 'between', 'within', 'older_than', 'exists', 'missing'],
  attribute: ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'between', 'in', 'not_in', 'contains', 'starts_with', 'ends_with', 'exists', 'missing'],
};
const ALL_OPERATORS = [...new Set(Object.values(OPERATORS).flat())];

/** A segment's name is its file name: letters, digits, `-` and `_`. */
export const SEGMENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,99}$/;

/** Where a parse is happening and where its problems go. */
export class ParseContext {
  readonly issues: SegmentIssue[] = [];
  readonly refs: Ref[] = [];
  /** how many conditions the parser is inside; bounded so that recursion stays shallow */
  depth = 0;
  constructor(
    readonly file: string,
    /** the parsed text; without it (rules from flags) problems have no position */
    private readonly source?: YamlFile,
  ) {}

  at(node: YamlNode | Pair | null | undefined): SourcePosition {
    return this.source ? this.source.at(node) : { file: this.file };
  }

  fail(node: YamlNode | Pair | null | undefined, message: string): undefined {
    this.issues.push({ ...this.at(node), message });
    return undefined;
  }
}

/** Parses one definition file's text. Never throws; problems are in `issues`. */
export function parseSegmentText(name: string, file: string, text: string): { def: SegmentDefinition; issues: SegmentIssue[] } {
  const source = new YamlFile(file, text, { syntaxMessage: yamlMessage });
  const ctx = new ParseContext(file, source);
  const def: SegmentDefinition = { name, file, refs: ctx.refs };
  // syntax errors and alias bombs: nothing below may look at the document
  ctx.issues.push(...source.issues);
  if (!source.readable) return { def, issues: ctx.issues };
  const doc = source.doc;
  inlineAliases(doc, ctx);
  const root = doc.contents;
  if (!isMap(root)) {
    ctx.fail(root, 'a segment definition is a mapping with `where:` (and optionally `description:`)');
    return { def, issues: ctx.issues };
  }
  let sawWhere = false;
  for (const pair of root.items) {
    const key = keyOf(pair);
    if (key === 'description') {
      if (isScalar(pair.value) && typeof pair.value.value === 'string') def.description = pair.value.value;
      else if (!(isScalar(pair.value) && pair.value.value === null)) ctx.fail(pair.value as YamlNode, 'description must be text');
    } else if (key === 'where') {
      sawWhere = true;
      def.whereAt = ctx.at(pair);
      def.where = parseCondition(pair.value as YamlNode | null, ctx);
    } else {
      ctx.fail(pair, `unknown key "${key}"${didYouMean(String(key), TOP_LEVEL_KEYS)}; a definition has \`description\` and \`where\``);
    }
  }
  if (!sawWhere) ctx.issues.push({ file, line: 1, col: 1, message: 'missing `where:` (the filter); use `where: { all: [] }` to match every customer' });
  return { def, issues: ctx.issues };
}

/** The yaml library's message, without its own position; running out of stack means nesting. */
function yamlMessage(message: string): string {
  if (/call stack/i.test(message)) return `YAML: nested too deep to read (conditions nest at most ${MAX_NESTING} levels)`;
  return `YAML syntax: ${message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '')}`;
}

/**
 * Replaces `*alias` nodes by the node they name, so the rest of the parser never sees one. The
 * document passed YamlFile's alias guard, so the expansion is bounded.
 */
function inlineAliases(doc: Document, ctx: ParseContext): void {
  visit(doc, {
    Alias(_key, alias, path) {
      const target = alias.resolve(doc);
      if (!target || path.includes(target)) {
        ctx.fail(alias, `the alias *${alias.source} ${target ? 'refers to a node that contains it' : 'names no anchor'}`);
        return visit.REMOVE;
      }
      return target;
    },
  });
}

function keyOf(pair: Pair): string {
  const k = pair.key;
  if (isScalar(k)) return String(k.value);
  return String(k);
}

/** A condition: a mapping whose entries (combinators and field tests) must all hold. */
export function parseCondition(node: YamlNode | null, ctx: ParseContext): Cond | undefined {
  if (!isMap(node)) {
    return ctx.fail(node, 'expected a condition: a mapping such as `country: { in: [DE, AT] }`, `all: [...]`, `any: [...]`, `not: …` or `segment: <name>`');
  }
  if (node.items.length === 0) return ctx.fail(node, 'empty condition; write `all: []` to match every customer');
  // each enclosing level of conditions holds at least one all/any/not, so this only fires where
  // the library's nesting check (src/segments/limits.ts, which names the combinator) would
  // too; it bounds the recursion here, also through YAML aliases
  if (ctx.depth > MAX_NESTING + 1) return ctx.fail(node, nestingMessage());
  ctx.depth++;
  const parts: Cond[] = [];
  let ok = true;
  try {
    for (const pair of node.items) {
      const part = parseEntry(pair, ctx);
      if (part) parts.push(part);
      else ok = false;
    }
  } finally {
    ctx.depth--;
  }
  if (!ok) return undefined;
  return parts.length === 1 ? parts[0] : { kind: 'all', items: parts, at: ctx.at(node) };
}

function parseEntry(pair: Pair, ctx: ParseContext): Cond | undefined {
  const key = keyOf(pair);
  const value = pair.value as YamlNode | null;
  switch (key) {
    case 'all':
    case 'any': {
      if (!isSeq(value)) return ctx.fail(value ?? pair, `\`${key}\` needs a list of conditions`);
      const items: Cond[] = [];
      let ok = true;
      for (const item of value.items) {
        const c = parseCondition(item as YamlNode | null, ctx);
        if (c) items.push(c);
        else ok = false;
      }
      return ok ? { kind: key, items, at: ctx.at(pair) } : undefined;
    }
    case 'not': {
      if (isSeq(value)) {
        const inner = parseEntryList(value.items as Array<YamlNode | null>, ctx);
        return inner && { kind: 'not', item: { kind: 'all', items: inner, at: ctx.at(value) }, at: ctx.at(pair) };
      }
      const item = parseCondition(value, ctx);
      return item && { kind: 'not', item, at: ctx.at(pair) };
    }
    case 'segment': {
      if (!isScalar(value) || typeof value.value !== 'string' || !SEGMENT_NAME.test(value.value)) {
        return ctx.fail(value ?? pair, '`segment` needs the name of another segment (its file name without .yaml)');
      }
      const ref: Ref = { kind: 'ref', name: value.value, at: ctx.at(value) };
      ctx.refs.push(ref);
      return ref;
    }
    default:
      return parseFieldTest(key, pair, ctx);
  }
}

function parseEntryList(items: Array<YamlNode | null>, ctx: ParseContext): Cond[] | undefined {
  const out: Cond[] = [];
  let ok = true;
  for (const item of items) {
    const c = parseCondition(item, ctx);
    if (c) out.push(c);
    else ok = false;
  }
  return ok ? out : undefined;
}

function unknownField(key: string): string {
  if (key === 'attributes' || key === ATTRIBUTE_PREFIX.slice(0, -1)) return 'filter on one attribute as `attributes.<key>`, e.g. `attributes.plan: { eq: pro }`';
  if (key.startsWith(ATTRIBUTE_PREFIX)) {
    return `"${key}" is not a usable attribute name: keys are letters, digits, "_" and "-" (dots nest)`;
  }
  return `unknown field "${key}"${didYouMean(key, [...FIELD_NAMES, ...COMBINATORS, 'attributes.<key>'])}`;
}

/** `field: value` (eq), `field: [a, b]` (in) or `field: { op: value, … }` (all of them). */
function parseFieldTest(key: string, pair: Pair, ctx: ParseContext): Cond | undefined {
  const field = resolveField(key);
  if (!field) return ctx.fail(pair, unknownField(key));
  const value = pair.value as YamlNode | null;
  if (isScalar(value) && value.value === null) {
    return ctx.fail(value.range ? value : pair, `no value for ${key}; write \`${key}: { missing: true }\` to match customers without one`);
  }
  if (isScalar(value)) return parseOperator(field, 'eq', value, value, ctx);
  if (isSeq(value)) return parseOperator(field, 'in', value, value, ctx);
  if (!isMap(value) || value.items.length === 0) return ctx.fail(value ?? pair, `${key} needs an operator and a value, e.g. \`${key}: { ${example(field)} }\``);
  const parts: Cond[] = [];
  let ok = true;
  for (const opPair of value.items) {
    const leaf = parseOperator(field, keyOf(opPair), opPair.key as YamlNode, opPair.value as YamlNode | null, ctx);
    if (leaf) parts.push(leaf);
    else ok = false;
  }
  if (!ok) return undefined;
  return parts.length === 1 ? parts[0] : { kind: 'all', items: parts };
}

function example(field: Field): string {
  if (field.kind === 'attribute') return 'eq: pro';
  return { number: 'gt: 100', string: 'eq: DE', boolean: 'eq: true', date: 'within: 90d' }[field.type];
}

function kindOf(field: Field): FieldType | 'attribute' {
  return field.kind === 'attribute' ? 'attribute' : field.type;
}

function describeField(field: Field): string {
  return field.kind === 'attribute' ? `${field.name} (an attribute)` : `${field.name} (a ${field.type} field)`;
}

/** One `op: value` on a field → a leaf (or a small `all` for ranges). */
export function parseOperator(field: Field, op: string, opNode: YamlNode, node: YamlNode | null, ctx: ParseContext): Cond | undefined {
  const fits = OPERATORS[kindOf(field)];
  if (!fits.includes(op)) {
    if (!ALL_OPERATORS.includes(op)) return ctx.fail(opNode, `unknown operator "${op}"${didYouMean(op, fits)}; ${field.name} takes ${fits.join(', ')}`);
    if (field.kind === 'attribute') {
      return ctx.fail(opNode, `operator ${op} does not fit ${describeField(field)}: attribute values are untyped, so date operators need a date field (last_order_at, created_at, updated_at)`);
    }
    return ctx.fail(opNode, `operator ${op} does not fit ${describeField(field)}; use one of ${fits.join(', ')}`);
  }
  const v = new Values(field, op, node, ctx);
  if (op === 'exists' || op === 'missing') {
    const b = v.boolean();
    return b === undefined ? undefined : { kind: 'exists', field, present: op === 'exists' ? b : !b };
  }
  if (field.kind === 'column' && field.type === 'date') return parseDateOperator(field, op, v);
  const type = field.kind === 'column' ? (field.type as ValueType) : v.attributeType();
  if (type === undefined) return undefined;
  switch (op) {
    case 'eq':
    case 'ne':
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const value = v.scalar(type);
      return value === undefined ? undefined : { kind: 'cmp', field, type, op, value };
    }
    case 'between': {
      const pair = v.pair((n) => v.scalarAt('number', n) as number | undefined);
      if (!pair) return undefined;
      if (pair[0] > pair[1]) return ctx.fail(node, `between needs [low, high] with low ≤ high, got [${pair[0]}, ${pair[1]}]`);
      return range(field, pair[0], pair[1], 'lte');
    }
    case 'in':
    case 'not_in': {
      if (type === 'boolean') return ctx.fail(node, `${op} takes a list of numbers or strings; for true/false use eq`);
      const values = v.list(type);
      return values && { kind: 'in', field, type, values, negate: op === 'not_in' };
    }
    case 'contains':
    case 'starts_with':
    case 'ends_with': {
      const value = v.scalar('string') as string | undefined;
      if (value === undefined) return undefined;
      const bytes = Buffer.byteLength(likePattern(op, value));
      if (bytes > SQLITE_MAX_LIKE_PATTERN_LENGTH) {
        return ctx.fail(node, `${field.name} ${op}: the value is too long (${bytes} bytes as a pattern; SQLite matches at most ${SQLITE_MAX_LIKE_PATTERN_LENGTH}, SQLITE_MAX_LIKE_PATTERN_LENGTH)`);
      }
      return { kind: 'text', field, op, value };
    }
  }
  return ctx.fail(opNode, `operator ${op} does not fit ${describeField(field)}`);
}

function range(field: Field, low: number, high: number, highOp: 'lte' | 'lt'): Cond {
  const lo: Leaf = { kind: 'cmp', field, type: 'number', op: 'gte', value: low };
  const hi: Leaf = { kind: 'cmp', field, type: 'number', op: highOp, value: high };
  return { kind: 'all', items: [lo, hi] };
}

/**
 * Dates compare as epoch ms. A bare date stands for its whole UTC day: `before: D` is before the
 * day starts, `after: D` from the next day on, `between: [D1, D2]` includes all of D2.
 */
function parseDateOperator(field: Field, op: string, v: Values): Cond | undefined {
  switch (op) {
    case 'before': {
      const d = v.date();
      return d && { kind: 'cmp', field, type: 'number', op: 'lt', value: d.ms };
    }
    case 'after': {
      const d = v.date();
      return d && { kind: 'cmp', field, type: 'number', op: 'gte', value: endOf(d) };
    }
    case 'between': {
      const pair = v.pair((n) => v.date(n));
      if (!pair) return undefined;
      const [a, b] = pair;
      if (a.ms >= endOf(b)) return v.ctx.fail(v.node, 'between needs [from, to] with from not after to');
      return range(field, a.ms, endOf(b), 'lt');
    }
    case 'within':
    case 'older_than': {
      const span = v.span();
      return span === undefined ? undefined : { kind: 'within', field, spanMs: span, negate: op === 'older_than' };
    }
  }
  return v.ctx.fail(v.node, `operator ${op} does not fit ${describeField(field)}`);
}

/** Reads and checks the value node of one operator, reporting problems at the value. */
class Values {
  constructor(
    readonly field: Field,
    readonly op: string,
    readonly node: YamlNode | null,
    readonly ctx: ParseContext,
  ) {}

  private what(): string {
    return `${this.field.name} ${this.op}`;
  }

  private shown(node: YamlNode | null): string {
    if (isScalar(node)) return JSON.stringify(node.value);
    if (isSeq(node)) return 'a list';
    if (isMap(node)) return 'a mapping';
    return 'nothing';
  }

  fail(message: string, node: YamlNode | null = this.node): undefined {
    return this.ctx.fail(node, message);
  }

  boolean(): boolean | undefined {
    if (isScalar(this.node) && typeof this.node.value === 'boolean') return this.node.value;
    return this.fail(`${this.what()} needs true or false, got ${this.shown(this.node)}`);
  }

  /** For attributes the value's own YAML type decides what the comparison is about. */
  attributeType(): ValueType | undefined {
    const op = this.op;
    if (['gt', 'gte', 'lt', 'lte', 'between'].includes(op)) return 'number';
    if (['contains', 'starts_with', 'ends_with'].includes(op)) return 'string';
    if (op === 'in' || op === 'not_in') {
      if (!isSeq(this.node)) return this.fail(`${this.what()} needs a list, e.g. [a, b], got ${this.shown(this.node)}`);
      const types = new Set(this.node.items.map((i) => (isScalar(i) ? typeof i.value : 'other')));
      if (types.size === 1 && (types.has('number') || types.has('string'))) return types.has('number') ? 'number' : 'string';
      return this.fail(`${this.what()} needs a list of all numbers or all strings (quote numbers to compare them as text)`);
    }
    if (isScalar(this.node)) {
      const t = typeof this.node.value;
      if (t === 'number' || t === 'string' || t === 'boolean') return t;
    }
    return this.fail(`${this.what()} needs a number, text or true/false, got ${this.shown(this.node)}`);
  }

  scalar(type: ValueType): number | string | boolean | undefined {
    return this.scalarAt(type, this.node);
  }

  /** A scalar of the wanted type at `node`. Plain YAML numbers/booleans on a string field keep their source text (`01234`). */
  scalarAt(type: ValueType, node: YamlNode | null): number | string | boolean | undefined {
    if (!isScalar(node) || node.value === null || typeof node.value === 'object') {
      return this.fail(`${this.what()} needs ${article(type)}, got ${this.shown(node)}`, node);
    }
    const raw = node.value;
    if (type === 'number') {
      if (typeof raw === 'number' && Number.isFinite(raw)) return raw;
      return this.fail(`${this.what()} needs a number, got ${this.shown(node)}`, node);
    }
    if (type === 'boolean') {
      if (typeof raw === 'boolean') return raw;
      return this.fail(`${this.what()} needs true or false, got ${this.shown(node)}`, node);
    }
    if (this.field.kind === 'attribute' && typeof raw !== 'string') {
      return this.fail(`${this.what()} needs text, got ${this.shown(node)} (quote it to compare as text)`, node);
    }
    const text = typeof raw === 'string' ? raw : plainSource(node) ?? String(raw);
    if (text.includes('\u0000')) return this.fail(`${this.what()}: the value contains a NUL character`, node);
    return text;
  }

  pair<T>(read: (node: YamlNode | null) => T | undefined): [T, T] | undefined {
    if (!isSeq(this.node) || this.node.items.length !== 2) {
      return this.fail(`${this.what()} needs two values [low, high], got ${this.shown(this.node)}`);
    }
    const [a, b] = this.node.items as Array<YamlNode | null>;
    const first = read(a ?? null);
    const second = read(b ?? null);
    return first === undefined || second === undefined ? undefined : [first, second];
  }

  list(type: 'number' | 'string'): Array<number | string> | undefined {
    if (!isSeq(this.node)) return this.fail(`${this.what()} needs a list, e.g. [a, b], got ${this.shown(this.node)}`);
    if (this.node.items.length === 0) return this.fail(`${this.what()} needs at least one value`);
    const out: Array<number | string> = [];
    let ok = true;
    for (const item of this.node.items as Array<YamlNode | null>) {
      const v = this.scalarAt(type, item) as number | string | undefined;
      if (v === undefined) ok = false;
      else out.push(v);
    }
    return ok ? out : undefined;
  }

  date(node: YamlNode | null = this.node): ParsedDate | undefined {
    if (isScalar(node) && typeof node.value === 'string') {
      const d = parseIsoDate(node.value);
      if (d) return d;
    }
    return this.fail(`${this.what()} needs ${DATE_HELP}, got ${this.shown(node)}`, node);
  }

  span(): number | undefined {
    if (isScalar(this.node) && typeof this.node.value === 'string') {
      const ms = parseSpan(this.node.value);
      if (ms !== undefined) return ms;
    }
    return this.fail(`${this.what()} needs ${SPAN_HELP}, got ${this.shown(this.node)}`);
  }
}

function article(type: ValueType): string {
  return type === 'number' ? 'a number' : type === 'boolean' ? 'true or false' : 'text';
}

/** The text of a plain (unquoted) scalar as written, when the parser kept it. */
function plainSource(node: Scalar): string | undefined {
  return node.type === Scalar.PLAIN && typeof node.source === 'string' ? node.source : undefined;
}

