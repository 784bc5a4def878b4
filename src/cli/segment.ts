import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { renderTable } from '../output/table.js';
import { collect, listLimit } from './options.js';
import type { ActionFactory } from './run.js';
import type { SegmentIssue } from '../segments/parse.js';

const DEFAULT_PREVIEW_FIELDS = ['email', 'phone', 'first_name', 'last_name', 'country', 'lifetime_value'];

export function registerSegment(program: Command, action: ActionFactory): void {
  const group = program.command('segment').description('saved customer filters (segments/<name>.yaml): list, count, preview, validate, create');

  group
    .command('list')
    .description('every segment with its description; --count adds the live size')
    .option('--count', 'count each segment now')
    .action(
      action<{ count?: boolean }>(async (ctx, _args, opts) => {
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
      action<{ by?: string }>(async (ctx, [name], opts) => {
        const { countSegment } = await import('../segments/index.js');
        const result = await countSegment((await ctx.repositories('read')).segments, ctx.workspace, name!, ctx.now(), { by: opts.by });
        ctx.result(result, (r) => {
          const head = `${r.count} customers in ${r.segment} (${r.ms} ms)\n`;
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
      action<{ limit: number; fields?: string }>(async (ctx, [name], opts) => {
        const { previewSegment } = await import('../segments/index.js');
        const fields = opts.fields?.split(',').filter((f) => f.trim() !== '');
        const result = await previewSegment(await ctx.store('read'), ctx.workspace, name!, ctx.now(), { limit: opts.limit, fields });
        const columns = ['id', ...(fields?.map((f) => f.trim()) ?? DEFAULT_PREVIEW_FIELDS)];
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
          return [...ok, ...problems, bad === 0 ? `${r.segments.length} segments valid` : `${bad} of ${r.segments.length} segments invalid`].join('\n') + '\n';
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
      action<{ rule: string[]; description?: string; force?: boolean }>(async (ctx, [name], opts) => {
        const { createSegment, countSegment } = await import('../segments/index.js');
        let created;
        if (opts.rule.length > 0) {
          if (!name) {
            throw new UsageError('segment create with --rule needs the segment name', { hint: 'mkt segment create <name> --rule "…"' });
          }
          created = await createSegment(ctx.workspace, name, { description: opts.description, rules: opts.rule, force: opts.force });
        } else {
          const { buildSegment } = await import('./segment-builder.js');
          const built = await buildSegment(ctx, { name, description: opts.description, force: Boolean(opts.force) });
          created = await createSegment(ctx.workspace, built.name, { description: built.description, entries: built.entries, force: true });
        }
        // the file is the result; the live count needs customers, and a workspace without a database has none yet
        const repos = await ctx.existingRepositories();
        const count = repos ? (await countSegment(repos.segments, ctx.workspace, created.segment, ctx.now())).count : null;
        ctx.result({ ...created, count }, (r) => `wrote ${r.file} (${r.count === null ? `no database at ${ctx.dbPath} yet, so no live count; import customers first` : `${r.count} customers match now`})\n`);
      }),
    );
}

function show(v: unknown): string | number | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'object') return JSON.stringify(v);
  return typeof v === 'number' ? v : String(v);
}
