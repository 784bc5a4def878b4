import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { renderTable } from '../output/table.js';
import { collect, listLimit } from './options.js';
import type { ActionFactory } from './run.js';
import type { SegmentIssue } from '../segments/parse.js';
import { count as countOf } from '../util/plural.js';

const DEFAULT_PREVIEW_FIELDS = ['email', 'phone', 'first_name', 'last_name', 'country', 'lifetime_value'];

/** What `segment count` was asked to do. */
export interface SegmentCountOptions {
  name: string;
  /** Break the count down by this field. */
  by?: string;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseSegmentCountOptions(name: string, flags: { by?: string }): SegmentCountOptions {
  return { name, ...(flags.by ? { by: flags.by } : {}) };
}

/** What `segment preview` was asked to do. */
export interface SegmentPreviewOptions {
  name: string;
  limit: number;
  /** --fields as given, empty entries dropped; undefined: the default columns. */
  fields?: string[];
  /** The table's columns: id, then the fields (trimmed) or the defaults. */
  columns: string[];
}

export function parseSegmentPreviewOptions(name: string, flags: { limit: number; fields?: string }): SegmentPreviewOptions {
  const fields = flags.fields?.split(',').filter((f) => f.trim() !== '');
  return { name, limit: flags.limit, ...(fields ? { fields } : {}), columns: ['id', ...(fields?.map((f) => f.trim()) ?? DEFAULT_PREVIEW_FIELDS)] };
}

/** What `segment list` was asked to do. */
export interface SegmentListOptions {
  /** Count each segment now (needs the store). */
  count: boolean;
}

export function parseSegmentListOptions(flags: { count?: boolean }): SegmentListOptions {
  return { count: Boolean(flags.count) };
}

export interface SegmentCreateFlags {
  rule: string[];
  description?: string;
  force?: boolean;
}

/** What `segment create` was asked to do: from --rule flags, or asked interactively. */
export type SegmentCreateOptions =
  | { from: 'rules'; name: string; rules: string[]; description?: string; force: boolean }
  | { from: 'prompts'; name?: string; description?: string; force: boolean };

export function parseSegmentCreateOptions(name: string | undefined, flags: SegmentCreateFlags): SegmentCreateOptions {
  const shared = { ...(flags.description !== undefined ? { description: flags.description } : {}), force: Boolean(flags.force) };
  if (flags.rule.length === 0) return { from: 'prompts', ...(name ? { name } : {}), ...shared };
  if (!name) throw new UsageError('segment create with --rule needs the segment name', { hint: 'mkt segment create <name> --rule "…"' });
  return { from: 'rules', name, rules: flags.rule, ...shared };
}

export function registerSegment(program: Command, action: ActionFactory): void {
  const group = program.command('segment').description('saved customer filters (segments/<name>.yaml): list, count, preview, validate, create');

  group
    .command('list')
    .description('every segment with its description; --count adds the live size')
    .option('--count', 'count each segment now')
    .action(
      action<{ count?: boolean }>(async (ctx, _args, flags) => {
        const opts = parseSegmentListOptions(flags);
        const { listSegments, countSegment } = await import('../segments/index.js');
        const { formatIssue } = await import('../segments/parse.js');
        const list = await listSegments(ctx.workspace);
        const rows: Array<{ name: string; description?: string; file: string; count?: number | null; error?: string }> = [];
        const segments = opts.count ? (await ctx.repositories('read')).segments : undefined;
        for (const s of list) {
          if (!segments) {
            rows.push(s);
            continue;
          }
          try {
            rows.push({ ...s, count: (await countSegment(segments, ctx.workspace, s.name, ctx.now())).count });
          } catch (e) {
            // one broken definition must not hide the others' sizes
            const first = (e as { details?: { issues?: SegmentIssue[] } }).details?.issues?.[0];
            rows.push({ ...s, count: null, error: first ? formatIssue(first) : (e as Error).message });
          }
        }
        ctx.result(rows, (r) =>
          r.length === 0
            ? 'no segments yet: add segments/<name>.yaml or run `mkt segment create`\n'
            : renderTable(
                opts.count ? ['name', 'count', 'description'] : ['name', 'description'],
                r.map((s) => (opts.count ? [s.name, s.count ?? `error: ${s.error}`, s.description] : [s.name, s.description])),
              ),
        );
      }),
    );

  group
    .command('count')
    .description('the live number of customers in a segment')
    .argument('<name>', 'segment name (file name without .yaml)')
    .option('--by <field>', 'break the count down by a field (dates: by month)')
    .action(
      action<{ by?: string }>(async (ctx, [name], flags) => {
        const opts = parseSegmentCountOptions(name!, flags);
        const { countSegment } = await import('../segments/index.js');
        const result = await countSegment((await ctx.repositories('read')).segments, ctx.workspace, opts.name, ctx.now(), { by: opts.by });
        ctx.result(result, (r) => {
          const head = `${countOf(r.count, 'customer')} in ${r.segment} (${r.ms} ms)\n`;
          if (!r.by) return head;
          return renderTable([opts.by!, 'count'], Object.entries(r.by)) + head;
        });
      }),
    );

  group
    .command('preview')
    .description('the first matching customers, in id order')
    .argument('<name>', 'segment name')
    .option('--limit <n>', 'how many (1 to 1,000,000)', listLimit, 10)
    .option('--fields <list>', 'comma-separated fields to show, e.g. email,country,attributes.plan')
    .action(
      action<{ limit: number; fields?: string }>(async (ctx, [name], flags) => {
        const { name: segment, limit, fields, columns } = parseSegmentPreviewOptions(name!, flags);
        const { previewSegment } = await import('../segments/index.js');
        const result = await previewSegment((await ctx.repositories('read')).segmentPreview, ctx.workspace, segment, ctx.now(), { limit, fields });
        ctx.result(result, (r) =>
          r.customers.length === 0
            ? `no customers match ${r.segment}\n`
            : renderTable(
                columns,
                r.customers.map((c) => columns.map((k) => show((c as Record<string, unknown>)[k]))),
              ),
        );
      }),
    );

  group
    .command('validate')
    .description('check every (or the named) definition without touching data; exit 65 on any problem')
    .argument('[names...]', 'segment names (default: all)')
    .action(
      action(async (ctx, names) => {
        const { validateSegments } = await import('../segments/index.js');
        const { formatIssue } = await import('../segments/parse.js');
        const report = await validateSegments(ctx.workspace, names);
        ctx.result(report, (r) => {
          if (r.segments.length === 0) return 'no segments to check\n';
          const seen = new Set<string>();
          const problems = r.segments
            .flatMap((s) => s.issues.map(formatIssue))
            .filter((line) => !seen.has(line) && Boolean(seen.add(line)));
          const ok = r.segments.filter((s) => s.ok).map((s) => `ok  ${s.file}`);
          const bad = r.segments.filter((s) => !s.ok).length;
          return [...ok, ...problems, bad === 0 ? `${countOf(r.segments.length, 'segment')} valid` : `${bad} of ${countOf(r.segments.length, 'segment')} invalid`].join('\n') + '\n';
        });
        return report.ok ? 'ok' : 'input';
      }),
    );

  group
    .command('create')
    .description('write segments/<name>.yaml: interactively, or from --rule flags (ANDed)')
    .argument('[name]', 'segment name (asked when not given)')
    .option('--rule <rule>', 'a condition such as "lifetime_value gt 500", "country in DE,AT", "not segment churn-risk" (repeatable)', collect, [])
    .option('--description <text>', 'what the segment is for')
    .option('--force', 'replace an existing definition')
    .action(
      action<SegmentCreateFlags>(async (ctx, [name], flags) => {
        const o = parseSegmentCreateOptions(name, flags);
        const { createSegment, countSegment } = await import('../segments/index.js');
        let created;
        if (o.from === 'rules') {
          created = await createSegment(ctx.workspace, o.name, { description: o.description, rules: o.rules, force: o.force });
        } else {
          const { buildSegment } = await import('./segment-builder.js');
          const built = await buildSegment(ctx, { name: o.name, description: o.description, force: o.force });
          created = await createSegment(ctx.workspace, built.name, { description: built.description, entries: built.entries, force: true });
        }
        // the file is the result; the live count needs customers, and a workspace without a database has none yet
        const repos = await ctx.existingRepositories();
        const count = repos ? (await countSegment(repos.segments, ctx.workspace, created.segment, ctx.now())).count : null;
        ctx.result({ ...created, count }, (r) => `wrote ${r.file} (${r.count === null ? `no database at ${ctx.dbPath} yet, so no live count; import customers first` : `${countOf(r.count, 'customer')} ${r.count === 1 ? 'matches' : 'match'} now`})\n`);
      }),
    );
}

function show(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object') return JSON.stringify(v);
  return typeof v === 'number' ? v : String(v);
}
