/**
 * Segments: saved, live filters over the customer store. This is the module other parts of
 * mkt call (campaigns freeze their audience with `compileSegment`); the CLI is in
 * src/cli/segment.ts.
 */
import { performance } from 'node:perf_hooks';
import type { SegmentStore } from '../db/repositories.js';
import type { SegmentPreviewStore } from '../db/segment-preview-store.js';
import { filterToSql } from '../db/segment-sql.js';
import type { SqlFragment } from '../db/sql-fragment.js';
import { InputError, UsageError } from '../errors.js';
import { toRecord, type CustomerRecord } from '../customers/record.js';
import { didYouMean } from '../util/suggest.js';
import type { Cond, Filter } from './ast.js';
import { FIELD_NAMES, resolveField, type Field } from './fields.js';
import { directorySource, SegmentLibrary, SEGMENTS_DIR } from './library.js';
import { formatIssue, SEGMENT_NAME, type SegmentIssue } from './parse.js';
import { parseRules, type RuleEntry } from './rules.js';
import { checkCanWrite, definitionYaml, writeSegmentFile } from './write.js';

export type { SqlFragment } from '../db/sql-fragment.js';
export type { Filter, Cond } from './ast.js';
export type { SegmentIssue } from './parse.js';
export { SegmentLibrary, directorySource, memorySource } from './library.js';
export { matches } from './evaluate.js';
export { filterToSql } from '../db/segment-sql.js';

/** The library of a workspace's `segments/` folder. */
export function workspaceSegments(workspace: string): SegmentLibrary {
  return new SegmentLibrary(directorySource(workspace));
}

/** The issues as one InputError (exit 65), each line naming `file:line:col`. */
export function invalidSegment(name: string, issues: SegmentIssue[]): InputError {
  const lines = issues.map(formatIssue);
  const message = lines.length === 1 ? lines[0]! : `segment "${name}" has ${lines.length} problems:\n  ${lines.join('\n  ')}`;
  return new InputError('segment_invalid', message, { details: { segment: name, issues }, hint: 'run `mkt segment validate` to check every definition' });
}

async function notFound(library: SegmentLibrary, name: string): Promise<InputError> {
  const why = SEGMENT_NAME.test(name) ? `${SEGMENTS_DIR}/${name}.yaml not found` : 'names are letters, digits, "-" and "_"';
  return new InputError('segment_not_found', `no segment "${name}" (${why})${didYouMean(name, await library.names())}`, {
    hint: '`mkt segment list` shows the segments',
  });
}

/** The named segment's filter with references inlined; throws InputError when missing or invalid. */
export async function loadFilter(library: SegmentLibrary, name: string): Promise<Filter> {
  const r = await library.resolve(name);
  if (!r) throw await notFound(library, name);
  if (r.issues.length > 0 || !r.filter) throw invalidSegment(name, r.issues);
  return r.filter;
}

/**
 * A boolean SQL expression over `customers c` (`?` placeholders, params in order), ready for
 * `SELECT … FROM customers c WHERE <text>`. Relative dates are fixed against `now`.
 */
export async function compileSegment(workspace: string, name: string, now: Date): Promise<SqlFragment> {
  return filterToSql(await segmentFilter(workspace, name), now);
}

/** The named segment of the workspace as a resolved filter: what a store compiles for its own dialect. */
export async function segmentFilter(workspace: string, name: string): Promise<Filter> {
  return loadFilter(workspaceSegments(workspace), name);
}

export interface SegmentCount {
  segment: string;
  count: number;
  by?: Record<string, number>;
  /** time taken to compile and count, in milliseconds */
  ms: number;
}

/** The live size of a segment, optionally broken down by a field (one SQL query either way). */
export async function countSegment(segments: SegmentStore, workspace: string, name: string, now: Date, opts: { by?: string } = {}): Promise<SegmentCount> {
  const started = performance.now();
  const byField = opts.by === undefined ? undefined : fieldOption(opts.by, '--by');
  const filter = await segmentFilter(workspace, name);
  if (!byField) {
    const count = await segments.count(filter, now);
    return { segment: name, count, ms: elapsed(started) };
  }
  const by = breakdown(await segments.breakdown(filter, now, byField), byField);
  const count = Object.values(by).reduce((a, b) => a + b, 0);
  return { segment: name, count, by, ms: elapsed(started) };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

/** Counts a condition that is not saved yet (the builder's live count). */
export async function countCond(segments: Pick<SegmentStore, 'count'>, library: SegmentLibrary, cond: Cond, now: Date): Promise<number> {
  const r = await library.resolveCond(cond);
  if (!r.filter) throw invalidSegment('(new)', r.issues);
  return segments.count(r.filter, now);
}

/** Missing values are grouped under this key. */
export const NONE_KEY = '(none)';

function breakdown(rows: Array<{ k: unknown; n: number }>, by: Field): Record<string, number> {
  const out: Record<string, number> = {};
  for (const { k, n } of rows) {
    const key = k === null ? NONE_KEY : by.kind === 'column' && by.type === 'boolean' ? String(k === 1) : String(k);
    out[key] = (out[key] ?? 0) + n;
  }
  return out;
}

/** A field named in a flag (`--by`, `--fields`); unknown names are usage errors with a suggestion. */
export function fieldOption(name: string, flag: string): Field {
  const field = resolveField(name.trim());
  if (!field) throw new UsageError(`${flag}: unknown field "${name}"${didYouMean(name, FIELD_NAMES)}`, { hint: `fields: ${FIELD_NAMES.join(', ')}, attributes.<key>` });
  return field;
}

export interface SegmentSummary {
  name: string;
  description?: string;
  /** the definition file, relative to the workspace (`segments/<name>.yaml`) */
  file: string;
}

/** Every definition in `segments/`, by name. A file that does not parse is still listed. */
export async function listSegments(workspace: string): Promise<SegmentSummary[]> {
  const library = workspaceSegments(workspace);
  const out: SegmentSummary[] = [];
  for (const name of await library.names()) {
    const parsed = await library.definition(name);
    if (!parsed) continue;
    const { def } = parsed;
    out.push({ name, file: def.file, ...(def.description !== undefined ? { description: def.description } : {}) });
  }
  return out;
}

export interface SegmentPreview {
  segment: string;
  customers: Array<CustomerRecord | Record<string, unknown>>;
}

/** The first matching customers in id order; with `fields`, only those (plus id). */
export async function previewSegment(
  previews: SegmentPreviewStore,
  workspace: string,
  name: string,
  now: Date,
  opts: { limit: number; fields?: string[] },
): Promise<SegmentPreview> {
  const picks = opts.fields?.map((f) => ({ name: f.trim(), field: fieldOption(f, '--fields') }));
  const filter = await segmentFilter(workspace, name);
  const rows = (await previews.preview(filter, now, opts.limit)).map(toRecord);
  if (!picks) return { segment: name, customers: rows };
  return {
    segment: name,
    customers: rows.map((r) => {
      const out: Record<string, unknown> = { id: r.id };
      for (const p of picks) out[p.name] = pick(r, p.field);
      return out;
    }),
  };
}

function pick(record: CustomerRecord, field: Field): unknown {
  if (field.kind === 'column') return record[field.name];
  let v: unknown = record.attributes;
  for (const k of field.path) v = v && typeof v === 'object' && Object.prototype.hasOwnProperty.call(v, k) ? (v as Record<string, unknown>)[k] : undefined;
  return v ?? null;
}

export interface ValidationReport {
  ok: boolean;
  segments: Array<{ name: string; file: string; ok: boolean; issues: SegmentIssue[] }>;
}

/**
 * Checks every definition (or the named ones) without touching data: syntax, fields, operators,
 * values, references and cycles. Reports every problem of every file.
 */
export async function validateSegments(workspace: string, names?: string[]): Promise<ValidationReport> {
  const library = workspaceSegments(workspace);
  const wanted = names && names.length > 0 ? names : await library.names();
  const segments: ValidationReport['segments'] = [];
  for (const name of wanted) {
    const file = `${SEGMENTS_DIR}/${name}.yaml`;
    if (!SEGMENT_NAME.test(name)) {
      segments.push({ name, file, ok: false, issues: [{ file, message: 'not a usable segment name: letters, digits, "-" and "_", starting with a letter or digit' }] });
      continue;
    }
    const r = await library.resolve(name);
    if (!r) {
      segments.push({ name, file, ok: false, issues: [{ file, message: `no such segment${didYouMean(name, await library.names())}` }] });
      continue;
    }
    segments.push({ name, file: r.def?.file ?? file, ok: r.issues.length === 0, issues: r.issues });
  }
  return { ok: segments.every((s) => s.ok), segments };
}

export interface CreatedSegment {
  segment: string;
  file: string;
  description?: string;
  /** the definition as written */
  yaml: string;
}

/**
 * Checks a new definition made of rules (ANDed) — rule syntax, fields, operators, values, and
 * references against the workspace's other segments — and writes `segments/<name>.yaml`.
 * Refuses to replace an existing file unless `force`.
 */
export async function createSegment(
  workspace: string,
  name: string,
  spec: { description?: string; entries?: RuleEntry[]; rules?: string[]; force?: boolean },
): Promise<CreatedSegment> {
  checkCanWrite(workspace, name, spec.force ?? false);
  const entries = [...(spec.entries ?? [])];
  if (spec.rules) {
    const parsed = parseRules(spec.rules);
    if (parsed.issues.length > 0) throw invalidSegment(name, parsed.issues);
    entries.push(...parsed.entries);
  }
  if (entries.length === 0) throw new UsageError('a segment needs at least one rule', { hint: 'pass --rule "<field> <operator> <value>" (repeatable), or run without arguments on a terminal' });
  const yaml = definitionYaml(spec.description, entries);
  const issues = await checkNewDefinition(workspace, name, yaml);
  if (issues.length > 0) throw invalidSegment(name, issues);
  const file = await writeSegmentFile(workspace, name, yaml);
  return { segment: name, file, ...(spec.description ? { description: spec.description } : {}), yaml };
}

/** Resolves a definition that is about to be written as `name`, against the workspace's others. */
async function checkNewDefinition(workspace: string, name: string, yaml: string): Promise<SegmentIssue[]> {
  const disk = directorySource(workspace);
  const library = new SegmentLibrary({
    names: async () => [...new Set([...(await disk.names()), name])].sort(),
    read: async (n) => (n === name ? { file: `${SEGMENTS_DIR}/${name}.yaml`, text: yaml } : disk.read(n)),
  });
  return (await library.resolve(name))?.issues ?? [];
}
