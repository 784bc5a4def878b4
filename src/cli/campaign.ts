import path from 'node:path';
import type { Command } from 'commander';
import { CHANNELS } from '../channels.js';
import { InputError, MktError, UsageError } from '../errors.js';
import { exitCodeFor } from '../output/exit-codes.js';
import { renderFields, renderTable } from '../output/table.js';
import type { CliContext } from './context.js';
import { favourSmallHeap } from './heap.js';
import { nonNegativeInt, positiveInt } from './options.js';
import type { ActionFactory } from './run.js';

/** Everything campaign commands need, loaded when a campaign command runs (not at start-up). */
async function core(ctx: CliContext, mode: import('../db/open.js').OpenMode = 'write') {
  const [create, prepare, send, status, report, spec, compliance] = await Promise.all([
    import('../campaigns/create.js'),
    import('../campaigns/prepare.js'),
    import('../campaigns/send.js'),
    import('../campaigns/status.js'),
    import('../campaigns/report.js'),
    import('../campaigns/spec.js'),
    import('../compliance/index.js'),
  ]);
  const store = await ctx.store(mode);
  const deps = { store, workspace: ctx.workspace, env: ctx.io.env, now: () => ctx.now().getTime() };
  return { deps, create, prepare, send, status, report, spec, compliance };
}

const planText = (p: import('../campaigns/prepare.js').Plan) =>
  renderFields([
    ['campaign', p.campaign],
    ['matched', p.matched],
    ...Object.entries(p.excluded).map(([k, v]) => [`excluded ${k}`, v] as [string, unknown]),
    ['recipients', p.recipients],
    ['added', p.added],
    ['senders', Object.entries(p.senders).map(([s, n]) => `${s}: ${n}`).join('; ')],
    ['messages', p.estimate.messages],
    ...(p.estimate.sms_segments !== undefined ? [['sms segments', p.estimate.sms_segments] as [string, unknown]] : []),
    ['estimated duration', `${p.estimate.duration_s}s${p.estimate.rate_per_s ? ` at ${p.estimate.rate_per_s}/s` : ''}`],
    ['plan hash', p.plan_hash],
  ]);

const summaryText = (s: import('../campaigns/send.js').SendSummary) =>
  renderFields([
    ['campaign', s.campaign],
    ['state', s.state],
    ['stopped', s.stop + (s.reason ? ` (${s.reason})` : '')],
    ...(s.dry_run ? [['would send', s.would_send] as [string, unknown]] : [['sent', s.sent] as [string, unknown]]),
    ['failed', s.failed],
    ['unknown', s.unknown],
    ['skipped', s.skipped],
    ...(s.recovered_unknown ? [['recovered as unknown', s.recovered_unknown] as [string, unknown]] : []),
    ['by sender', Object.entries(s.by_sender).map(([k, v]) => `${k}: ${v}`).join('; ')],
    ...(s.sms_segments !== undefined ? [['sms segments', s.sms_segments] as [string, unknown]] : []),
    ['elapsed', `${s.elapsed_s}s`],
    ['rate', `${s.rate_per_s}/s`],
    ...(s.waiting.count ? [['waiting', `${s.waiting.count} until ${s.waiting.until}`] as [string, unknown]] : []),
    ['ledger', Object.entries(s.counts).map(([k, v]) => `${k} ${v}`).join(', ')],
    ...(s.render_failures?.length ? [['render failures', s.render_failures.map((f) => `${f.address}: ${f.error}`).join(' | ')] as [string, unknown]] : []),
  ]);

interface CreateOpts {
  name?: string;
  channel?: string;
  segment?: string;
  provider?: string;
  template?: string;
  schedule?: string;
  throttle?: string;
  distribution?: string;
  file?: string;
}

/** Asks for whatever flags are missing, offering only choices that agree with the channel. */
async function askMissing(ctx: CliContext, o: CreateOpts): Promise<CreateOpts> {
  const out = { ...o };
  const p = ctx.prompter;
  const [{ listSegments }, { listProviders }, { listTemplates }] = await Promise.all([
    import('../segments/index.js'),
    import('../providers/load.js'),
    import('../templates/index.js'),
  ]);
  out.name ??= await p.input('Campaign name (a slug, e.g. spring-sale)', { validate: (v) => /^[a-z0-9][a-z0-9_-]{0,63}$/.test(v) || 'lower-case letters, digits, - and _' });
  out.channel ??= await p.select(
    'Channel',
    CHANNELS.map((c) => ({ name: c, value: c })),
  );
  const providers = (await listProviders(ctx.workspace)).filter((x) => x.channel === out.channel);
  if (!out.provider) {
    if (!providers.length) throw new InputError('no_provider', `providers.yaml has no ${out.channel} provider`);
    out.provider = await p.select('Provider', providers.map((x) => ({ name: `${x.name} (${x.type}, ${x.senders.length} sender(s))`, value: x.name })));
  }
  const templates = (await listTemplates(ctx.workspace)).filter((t) => t.channel === out.channel);
  if (!out.template) {
    if (!templates.length) throw new InputError('no_template', `there is no ${out.channel} template in templates/${out.channel}/`, { hint: `create one with \`mkt template new ${out.channel} <name>\`` });
    out.template = await p.select('Template', templates.map((t) => ({ name: `${t.name} — ${t.summary}`, value: t.name })));
  }
  if (!out.segment) {
    const segments = await listSegments(ctx.workspace);
    if (!segments.length) throw new InputError('no_segment', 'there are no segments in segments/', { hint: 'create one with `mkt segment create`' });
    out.segment = await p.select('Segment', segments.map((s) => ({ name: s.description ? `${s.name} — ${s.description}` : s.name, value: s.name })));
  }
  return out;
}

export function registerCampaign(program: Command, action: ActionFactory): void {
  const group = program.command('campaign').description('build, prepare and send campaigns');

  group
    .command('create')
    .description('create a draft campaign (missing flags are asked on a terminal)')
    .option('--name <slug>', 'campaign name')
    .option('--channel <channel>', 'email, sms or whatsapp')
    .option('--segment <name>', 'segment to send to')
    .option('--provider <name>', 'provider from providers.yaml')
    .option('--template <name>', 'template name (or channel/name)')
    .option('--schedule <iso>', 'when `send --due` may send it (ISO 8601 with zone)')
    .option('--throttle <rate>', 'overall rate, e.g. 50/s (default: the provider\'s rate)')
    .option('--distribution <mode>', 'round-robin (default) or sticky sender choice')
    .option('--file <path>', 'read the campaign from a YAML file (campaigns/<name>.yaml)')
    .action(
      action<CreateOpts>(async (ctx, _args, opts) => {
        const c = await core(ctx);
        let spec;
        if (opts.file) spec = await c.spec.readSpecFile(opts.file);
        else {
          const complete = opts.name && opts.channel && opts.segment && opts.provider && opts.template;
          const filled = complete || !ctx.interactive ? opts : await askMissing(ctx, opts);
          const missing = (['name', 'channel', 'segment', 'provider', 'template'] as const).filter((k) => !filled[k]);
          if (missing.length) throw new UsageError(`missing ${missing.map((m) => `--${m}`).join(', ')} (no terminal to ask)`, { code: 'missing_flags' });
          spec = c.spec.validateSpec(filled);
        }
        const created = await c.create.createCampaign(c.deps, spec);
        ctx.result(created, (v) => `created campaign ${v.name} (${v.channel}, segment ${v.segment}, provider ${v.provider}, template ${v.template}); next: mkt campaign prepare ${v.name}\n`);
      }),
    );

  group
    .command('list')
    .description('all campaigns')
    .action(
      action(async (ctx) => {
        const c = await core(ctx, 'read');
        const rows = c.create.listCampaignViews(c.deps);
        ctx.result(rows, (list) =>
          renderTable(
            ['name', 'state', 'channel', 'segment', 'provider', 'template', 'schedule'],
            list.map((v) => [v.name, v.state, v.channel, v.segment, v.provider, v.template, v.schedule]),
          ),
        );
      }),
    );

  group
    .command('show')
    .description('one campaign, with its last plan')
    .argument('<name>')
    .action(
      action(async (ctx, [name]) => {
        const c = await core(ctx, 'read');
        const { view } = await import('../campaigns/view.js');
        const v = view(c.create.getCampaign(c.deps, name!));
        ctx.result(v, (x) => renderFields(Object.entries(x)));
      }),
    );

  group
    .command('cancel')
    .description('cancel a campaign that has not finished (a running send stops claiming)')
    .argument('<name>')
    .action(
      action(async (ctx, [name]) => {
        const c = await core(ctx);
        const v = c.create.cancelCampaign(c.deps, name!);
        ctx.result(v, (x) => `cancelled ${x.name}\n`);
      }),
    );

  group
    .command('check')
    .description('pre-flight: unsubscribe link, opt-out text, segments, WhatsApp to +1, senders, cost (errors exit 65)')
    .argument('<name>')
    .option('--budget <amount>', 'refuse when the estimated cost is over this', budgetOption)
    .action(
      action<{ budget?: number }>(async (ctx, [name], opts) => {
        const c = await core(ctx, 'read');
        const hooks = await c.compliance.loadSendHooks(ctx.workspace, ctx.io.env);
        const report = await preflight(ctx, c, name!, hooks, opts.budget);
        ctx.result(report, preflightText);
        if (!report.ok) throw preflightError(report);
      }),
    );

  group
    .command('prepare')
    .description('recount the segment and freeze it into the send list')
    .argument('<name>')
    .option('--refresh', 'after sending started: only add recipients who newly match')
    .option('--budget <amount>', 'refuse when the estimated cost is over this', budgetOption)
    .action(
      action<{ refresh?: boolean; budget?: number }>(async (ctx, [name], opts) => {
        const c = await core(ctx);
        const hooks = await c.compliance.loadSendHooks(ctx.workspace, ctx.io.env);
        const report = await preflight(ctx, c, name!, hooks, opts.budget);
        if (!report.ok) throw preflightError(report);
        const plan = await c.prepare.prepareCampaign(c.deps, name!, { refresh: opts.refresh, exclusions: hooks.exclusions, estimateSmsSegments: (row) => estimateSegments(c.deps, row) });
        ctx.result(plan, planText);
      }),
    );

  group
    .command('recount')
    .description('compare the live segment with the frozen send list')
    .argument('<name>')
    .action(
      action(async (ctx, [name]) => {
        const c = await core(ctx, 'read');
        const hooks = await c.compliance.loadSendHooks(ctx.workspace, ctx.io.env);
        const d = await c.prepare.recountCampaign(c.deps, name!, { exclusions: hooks.exclusions });
        ctx.result(d, (x) => renderFields(Object.entries(x)));
      }),
    );

  group
    .command('status')
    .description('state, ledger counts, senders, errors and timings')
    .argument('<name>')
    .action(
      action(async (ctx, [name]) => {
        const c = await core(ctx, 'read');
        const s = c.status.campaignStatus(c.deps, name!);
        for (const w of s.warnings) ctx.warn(w);
        ctx.result(s, (x) =>
          renderFields([
            ['campaign', x.campaign],
            ['state', x.state + (x.pause_reason ? ` (${x.pause_reason})` : '')],
            ['recipients', x.recipients],
            ...Object.entries(x.counts).map(([k, v]) => [k, v] as [string, unknown]),
            ['by sender', Object.entries(x.by_sender).map(([k, v]) => `${k}: ${v}`).join('; ')],
            ['rate', x.rate_per_s === null ? '' : `${x.rate_per_s}/s`],
            ...Object.entries(x.delivery).map(([k, v]) => [`delivery ${k}`, v] as [string, unknown]),
            ...(Object.keys(x.delivery).length ? [['delivery rates', Object.entries(x.delivery_rates).map(([k, v]) => `${k} ${(v * 100).toFixed(2)}%`).join(', ')] as [string, unknown]] : []),
            ...x.errors.map((e) => [`error ${e.code}`, `${e.count} ${e.state} — ${e.sample}`] as [string, unknown]),
            ...Object.entries(x.timings).map(([k, v]) => [k, v] as [string, unknown]),
          ]),
        );
      }),
    );

  group
    .command('report')
    .description('one row per recipient: state, sender, provider message id, attempts, error')
    .argument('<name>')
    .option('--format <format>', 'csv or json', 'csv')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(
      action<{ format: string; out?: string }>(async (ctx, [name], opts) => {
        if (opts.format !== 'csv' && opts.format !== 'json') throw new UsageError(`--format must be csv or json, not "${opts.format}"`);
        const c = await core(ctx, 'read');
        const chunks = c.report.reportChunks(c.deps, name!, opts.format);
        if (opts.out) {
          await c.report.writeReport(path.resolve(ctx.deps.cwd, opts.out), chunks);
          ctx.info(`wrote ${opts.out}`);
        } else for (const chunk of chunks) ctx.io.stdout.write(chunk);
      }),
    );

  group
    .command('send')
    .description('send (or resume) a prepared campaign; --due sends every campaign whose schedule has passed')
    .argument('[name]')
    .option('--due', 'send every campaign whose schedule has passed (for scheduled CI jobs)')
    .option('--throttle <rate>', 'overall rate for this run, e.g. 50/s')
    .option('--concurrency <n>', 'requests in flight at once', positiveInt)
    .option('--limit <n>', 'send at most N now (a canary batch); the rest stays pending', positiveInt)
    .option('--dry-run', 'render every message and plan senders; send nothing, change nothing')
    .option('-y, --yes', 'do not ask for confirmation (required without a terminal)')
    .option('--retry-failed', 'put failed recipients back in the queue first')
    .option('--retry-unknown', 'put unknown recipients (may have been sent) back in the queue first')
    .option('--max-drift <percent>', 'refuse when the audience moved more than this since prepare', (v) => {
      const n = Number(v);
      if (!(n >= 0)) throw new UsageError('--max-drift takes a percentage from 0');
      return n;
    })
    .option('--grace <seconds>', 'how long in-flight requests may finish after Ctrl-C', nonNegativeInt, 30)
    .action(
      action<SendFlags>(async (ctx, [name], opts) => {
        if (opts.due && name) throw new UsageError('give either a campaign name or --due, not both');
        if (!opts.due && !name) throw new UsageError('which campaign? give its name, or --due');
        favourSmallHeap();
        const c = await core(ctx);
        const hooks = await c.compliance.loadSendHooks(ctx.workspace, ctx.io.env);
        const names = opts.due ? c.send.dueCampaignNames(c.deps) : [name!];
        if (opts.due && names.length === 0) {
          ctx.result({ due: [], campaigns: [] }, () => 'no campaign is due\n');
          return;
        }
        if (!opts.yes && !opts.dryRun) {
          if (!ctx.interactive) throw new UsageError('sending needs confirmation: pass --yes (there is no terminal to ask)', { code: 'confirmation_required' });
          for (const n of names) {
            const ok = await ctx.prompter.confirm(await confirmText(c, n, opts));
            if (!ok) throw new UsageError('not sent: you declined', { code: 'declined' });
          }
        }
        const results: Array<{ summary?: unknown; error?: MktError; name: string }> = [];
        const signals = trapSignals(ctx);
        try {
          for (const n of names) {
            if (signals.controller.signal.aborted) break;
            try {
              if (opts.due && c.create.getCampaign(c.deps, n).state === 'draft') {
                const plan = await c.prepare.prepareCampaign(c.deps, n, { exclusions: hooks.exclusions });
                ctx.info(`prepared ${n}: ${plan.recipients} recipient(s)`);
              }
              const r = await runSend(ctx, c, n, opts, hooks, signals.controller.signal);
              results.push({ name: n, summary: r.summary, error: r.error });
            } catch (e) {
              if (!(e instanceof MktError) || !opts.due) throw e;
              results.push({ name: n, error: e });
            }
          }
        } finally {
          signals.release();
        }
        if (!opts.due) {
          const r = results[0]!;
          ctx.result(r.summary as import('../campaigns/send.js').SendSummary, summaryText);
          if (r.error) throw r.error;
          return;
        }
        ctx.result(
          { due: names, campaigns: results.map((r) => ({ campaign: r.name, ...(r.summary ? { summary: r.summary } : {}), ...(r.error ? { error: r.error.toJSON() } : {}) })) },
          (v) => v.campaigns.map((x) => `${x.campaign}: ${x.error ? `error ${x.error.code}: ${x.error.message}` : (x.summary as { stop: string }).stop}\n`).join(''),
        );
        // the worst outcome decides the exit code: fatal (69) over resumable (75) over the rest
        const errors = results.map((r) => r.error).filter((e): e is MktError => Boolean(e));
        // a storage fault (corrupt, read-only, disk full) outranks everything: no CI run may pass it as 75
        const { isStorageFault } = await import('../db/faults.js');
        const ranks: Record<MktError['category'], number> = { ioerr: 6, cantcreate: 6, internal: 5, unavailable: 4, resumable: 3, config: 2, input: 1, usage: 1 };
        const rank = (e: MktError) => (isStorageFault(e) ? 7 : ranks[e.category]);
        const worst = errors.sort((a, b) => rank(b) - rank(a))[0];
        if (worst) {
          for (const e of errors) if (e !== worst) ctx.warn(`${e.code}: ${e.message} (exit ${exitCodeFor(e)})`);
          throw worst;
        }
      }),
    );
}

interface SendFlags {
  due?: boolean;
  throttle?: string;
  concurrency?: number;
  limit?: number;
  dryRun?: boolean;
  yes?: boolean;
  retryFailed?: boolean;
  retryUnknown?: boolean;
  maxDrift?: number;
  grace: number;
}

type Core = Awaited<ReturnType<typeof core>>;

function budgetOption(v: string): number {
  const n = Number(v);
  if (!(n >= 0) || v.trim() === '') throw new UsageError('--budget takes an amount from 0');
  return n;
}

type PreflightReport = import('../compliance/preflight.js').PreflightReport;

/** Runs the pre-flight checks; warnings go to stderr at once. */
async function preflight(ctx: CliContext, c: Core, name: string, hooks: import('../compliance/index.js').SendHooks, budget?: number): Promise<PreflightReport> {
  const { checkCampaign } = await import('../compliance/preflight.js');
  const report = await checkCampaign(c.deps, name, { budget, unsubscribe: hooks.unsubscribe });
  for (const w of report.warnings) ctx.warn(`${w.code}: ${w.message}`);
  return report;
}

function preflightError(report: PreflightReport): InputError {
  return new InputError('preflight_failed', `campaign "${report.campaign}" fails pre-flight:\n${report.errors.map((e) => `  ${e.code}: ${e.message}`).join('\n')}`, {
    hint: `fix these, then run \`mkt campaign check ${report.campaign}\``,
    details: { errors: report.errors, warnings: report.warnings },
  });
}

const preflightText = (r: PreflightReport) =>
  renderFields([
    ['campaign', r.campaign],
    ['result', r.ok ? 'ok' : `${r.errors.length} error(s)`],
    ['recipients', r.recipients],
    ['sampled', r.sampled],
    ...(r.estimate.sms_segments !== undefined ? [['sms segments', r.estimate.sms_segments] as [string, unknown]] : []),
    ...(r.estimate.cost !== undefined ? [['estimated cost', r.estimate.cost] as [string, unknown]] : []),
    ...(r.estimate.budget !== undefined ? [['budget', r.estimate.budget] as [string, unknown]] : []),
    ...r.errors.map((e) => [`error ${e.code}`, e.message] as [string, unknown]),
    ...r.warnings.map((w) => [`warning ${w.code}`, w.message] as [string, unknown]),
  ]);

async function estimateSegments(deps: Core['deps'], row: import('../db/campaigns.js').CampaignRow): Promise<number | undefined> {
  const { sampleSmsSegments } = await import('../campaigns/estimate.js');
  return sampleSmsSegments(deps, row);
}

async function confirmText(c: Core, name: string, opts: SendFlags): Promise<string> {
  const row = c.create.getCampaign(c.deps, name);
  const plan = row.plan ? (JSON.parse(row.plan) as import('../campaigns/prepare.js').Plan) : undefined;
  const senders = plan ? Object.keys(plan.senders).join(', ') : '?';
  return (
    `Send "${name}" (${row.channel}) to ${plan?.estimate.messages ?? '?'} recipient(s) through ${row.provider} ` +
    `from ${senders}, throttle ${opts.throttle ?? row.throttle ?? plan?.estimate.rate_per_s ?? 'provider default'}` +
    `${plan ? `, about ${plan.estimate.duration_s}s` : ''}${opts.limit ? `, at most ${opts.limit} now` : ''}?`
  );
}

/** Ctrl-C / SIGTERM: stop claiming, let in-flight requests finish, exit 75. */
function trapSignals(ctx: CliContext): { controller: AbortController; release(): void } {
  const controller = new AbortController();
  let count = 0;
  const handler = (sig: NodeJS.Signals) => {
    count++;
    if (count === 1) {
      ctx.info(`\n${sig}: stopping — no new messages; waiting for those in flight…`);
      controller.abort();
    } else ctx.info(`${sig}: still waiting for in-flight requests (they may already be accepted)`);
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    controller,
    release: () => {
      process.off('SIGINT', handler);
      process.off('SIGTERM', handler);
    },
  };
}

async function runSend(ctx: CliContext, c: Core, name: string, opts: SendFlags, hooks: import('../compliance/index.js').SendHooks, signal: AbortSignal) {
  const { plainProgress, barProgress } = await import('../output/progress.js');
  const view = opts.dryRun ? undefined : ctx.tty && !ctx.json ? await barProgress(process.stderr, ctx.colour) : plainProgress((l) => ctx.info(l.trimEnd()));
  try {
    return await c.send.sendCampaign(c.deps, name, {
      throttle: opts.throttle,
      concurrency: opts.concurrency,
      limit: opts.limit,
      dryRun: opts.dryRun,
      retryFailed: opts.retryFailed,
      retryUnknown: opts.retryUnknown,
      maxDrift: opts.maxDrift,
      graceMs: opts.grace * 1000,
      signal,
      onProgress: view ? (p) => view.update(p) : undefined,
      onNotice: (m) => ctx.warn(m),
      ...hooks,
    });
  } finally {
    view?.stop();
  }
}

