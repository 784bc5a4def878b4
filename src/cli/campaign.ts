import path from 'node:path';
import type { Command } from 'commander';
import { CHANNELS } from '../channels.js';
import { checkField } from '../campaigns/spec.js';
import { InputError, MktError, UsageError } from '../errors.js';
import { exitCodeFor } from '../output/exit-codes.js';
import { stateColour } from '../output/colour.js';
import type { ProgressView } from '../output/progress.js';
import { renderFields, renderTable } from '../output/table.js';
import { planText, showText, statusLine, statusText } from './campaign-format.js';
import { confirmOrRefuse, YES_FLAG } from './confirm.js';
import type { CliContext } from './context.js';
import { favourSmallHeap } from './heap.js';
import { amount, checkedFlag, choiceFlag, collect, concurrency, graceSeconds, percent, rateFlag, reportLimit, sendLimit, watchInterval } from './options.js';
import { onInterrupt } from './interrupts.js';
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
    import('../campaigns/compliance-hooks.js'),
  ]);
  const store = await ctx.store(mode);
  const deps = { store, workspace: ctx.workspace, env: ctx.io.env, now: () => ctx.now().getTime() };
  return { deps, create, prepare, send, status, report, spec, compliance };
}

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
    // flags are checked by the same rules as a campaign file, but a bad flag is a usage error (64)
    .option('--name <slug>', 'campaign name', specFlag('name'))
    .option('--channel <channel>', 'email, sms or whatsapp', choiceFlag(CHANNELS))
    .option('--segment <name>', 'segment to send to')
    .option('--provider <name>', 'provider from providers.yaml')
    .option('--template <name>', 'template name (or channel/name)')
    .option('--schedule <iso>', 'when `send --due` may send it (ISO 8601 with zone)', specFlag('schedule'))
    .option('--throttle <rate>', 'overall rate, e.g. 50/s (default and ceiling: the provider\'s rate)', rateFlag)
    .option('--distribution <mode>', 'round-robin (default) or sticky sender choice', choiceFlag(['round-robin', 'sticky'] as const))
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
        const paint = stateColour(ctx.outColour);
        ctx.result(rows, (list) =>
          renderTable(
            ['name', 'state', 'channel', 'segment', 'provider', 'template', 'schedule'],
            list.map((v) => [v.name, paint(v.state), v.channel, v.segment, v.provider, v.template, v.schedule]),
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
        ctx.result(v, (x) => showText(x, ctx.outColour));
      }),
    );

  group
    .command('cancel')
    .description('cancel a campaign that has not finished (a running send stops claiming)')
    .argument('<name>')
    .option(...YES_FLAG)
    .action(
      action<{ yes?: boolean }>(async (ctx, [name], opts) => {
        const c = await core(ctx);
        const row = c.create.getCampaign(c.deps, name!);
        await confirmOrRefuse(ctx, opts.yes, `Cancel campaign "${row.name}" (${row.state})? It cannot be sent again.`, 'cancelling a campaign');
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
    .option('--watch', 'refresh until the campaign is no longer sending (in place on a terminal, a line per refresh otherwise)')
    .option('--interval <seconds>', 'seconds between refreshes with --watch (1 to 3600)', watchInterval, 2)
    .action(
      action<{ watch?: boolean; interval: number }>(async (ctx, [name], opts) => {
        const c = await core(ctx, 'read');
        const read = () => c.status.campaignStatus(c.deps, name!);
        if (opts.watch) return watchStatus(ctx, read, opts.interval);
        const s = read();
        for (const w of s.warnings) ctx.warn(w);
        ctx.result(s, (x) => statusText(x, ctx.outColour));
      }),
    );

  group
    .command('report')
    .description('one row per recipient: state, sender, provider message id, attempts, error')
    .argument('<name>')
    .option('--format <format>', 'csv or json', choiceFlag(['csv', 'json'] as const), 'csv')
    .option('--out <file>', 'write to a file instead of stdout')
    .option('--state <states>', 'only recipients in these states: pending, sending, sent, failed, unknown, skipped (comma-separated or repeated)', collect, [])
    .option('--limit <n>', 'at most N rows (1 to 1,000,000,000)', reportLimit)
    .action(
      action<{ format: 'csv' | 'json'; out?: string; state: string[]; limit?: number }>(async (ctx, [name], opts) => {
        const c = await core(ctx, 'read');
        const filter = { states: c.report.parseStates(opts.state), limit: opts.limit };
        // a person at a terminal gets the summary, not 27,000 rows scrolling past; --limit or a pipe gets rows
        if (!opts.out && opts.limit === undefined && ctx.io.stdout.isTTY && !ctx.json) {
          ctx.io.stdout.write(reportSummary(c.status.campaignStatus(c.deps, name!), filter.states, opts.format, ctx));
          return;
        }
        const chunks = c.report.reportChunks(c.deps, name!, opts.format, filter);
        if (opts.out) {
          c.report.writeReport(path.resolve(ctx.deps.cwd, opts.out), chunks);
          ctx.info(`wrote ${opts.out}`);
        } else for (const chunk of chunks) ctx.io.stdout.write(chunk);
      }),
    );

  group
    .command('send')
    .description('send (or resume) a prepared campaign; --due sends every campaign whose schedule has passed')
    .argument('[name]')
    .option('--due', 'send every campaign whose schedule has passed (for scheduled CI jobs)')
    .option('--throttle <rate>', 'overall rate for this run, e.g. 50/s (never above the provider\'s rate)', rateFlag)
    .option('--concurrency <n>', 'requests in flight at once (1 to 1024)', concurrency)
    .option('--limit <n>', 'send at most N now (a canary batch); the rest stays pending', sendLimit)
    .option('--dry-run', 'render every message and plan senders; send nothing, change nothing')
    .option(...YES_FLAG)
    .option('--retry-failed', 'put failed recipients back in the queue first')
    .option('--retry-unknown', 'put unknown recipients (may have been sent) back in the queue first')
    .option('--max-drift <percent>', 'refuse when the audience moved more than this since prepare (0 to 100)', percent)
    .option('--grace <seconds>', 'how long in-flight requests may finish after Ctrl-C (0 to 3600)', graceSeconds, 30)
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
        for (const n of names) await confirmOrRefuse(ctx, opts.yes || opts.dryRun, await confirmText(c, n, opts), 'sending');
        const results: Array<{ summary?: unknown; error?: MktError; name: string }> = [];
        const screen: Screen = {};
        const signals = trapSignals(ctx, screen);
        try {
          for (const n of names) {
            if (signals.controller.signal.aborted) break;
            try {
              if (opts.due && c.create.getCampaign(c.deps, n).state === 'draft') {
                const plan = await c.prepare.prepareCampaign(c.deps, n, { exclusions: hooks.exclusions });
                ctx.info(`prepared ${n}: ${plan.recipients} recipient(s)`);
              }
              const r = await runSend(ctx, c, n, opts, hooks, signals.controller.signal, screen);
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

const budgetOption = amount;

/** A campaign-create flag checked by the campaign file's own rule (src/campaigns/spec.ts). */
function specFlag(key: 'name' | 'schedule'): (value: string) => string {
  return checkedFlag((v) => checkField(key, v));
}

type PreflightReport = import('../campaigns/check.js').PreflightReport;

/** Runs the pre-flight checks; warnings go to stderr at once. */
async function preflight(ctx: CliContext, c: Core, name: string, hooks: import('../campaigns/compliance-hooks.js').SendHooks, budget?: number): Promise<PreflightReport> {
  const { checkCampaign } = await import('../campaigns/check.js');
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

/** What is on the terminal now: talk clears the progress bar first so the two never share a line. */
interface Screen {
  view?: ProgressView;
}

/** Ctrl-C, SIGTERM or the parent's death: stop claiming, let in-flight requests finish, exit 75. */
function trapSignals(ctx: CliContext, screen: Screen): { controller: AbortController; release(): void } {
  const controller = new AbortController();
  let count = 0;
  const release = onInterrupt((why) => {
    count++;
    screen.view?.clear();
    if (count === 1) {
      ctx.info(`${why}: stopping — no new messages; waiting for those in flight…`);
      controller.abort();
    } else ctx.info(`${why}: still waiting for in-flight requests (they may already be accepted)`);
  });
  return { controller, release };
}

async function runSend(ctx: CliContext, c: Core, name: string, opts: SendFlags, hooks: import('../campaigns/compliance-hooks.js').SendHooks, signal: AbortSignal, screen: Screen) {
  const { progressView } = await import('../output/progress.js');
  const view = opts.dryRun ? undefined : progressView(ctx);
  screen.view = view;
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
      onNotice: (m) => {
        view?.clear();
        ctx.warn(m);
      },
      ...hooks,
    });
  } finally {
    view?.stop();
    screen.view = undefined;
  }
}


/** `status --watch`: until the campaign is no longer sending; Ctrl-C only ends the watching (exit 0). */
async function watchStatus(ctx: CliContext, read: () => import('../campaigns/status.js').CampaignStatus, intervalS: number): Promise<void> {
  const { watch } = await import('./watch.js');
  const controller = new AbortController();
  const stop = () => controller.abort();
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const last = await watch({
      read,
      stopped: (s) => s.state !== 'sending',
      frame: (s) => statusText(s, ctx.outColour),
      line: (s) => (ctx.json ? JSON.stringify(s) + '\n' : statusLine(s, ctx.now())),
      tty: Boolean(ctx.io.stdout.isTTY) && !ctx.json,
      write: (t) => ctx.io.stdout.write(t),
      intervalMs: intervalS * 1000,
      signal: controller.signal,
    });
    for (const w of last.warnings) ctx.warn(w);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** `report` on a terminal without --out or --limit: counts and the commands for the rows. */
function reportSummary(s: import('../campaigns/status.js').CampaignStatus, states: string[], format: string, ctx: CliContext): string {
  const paint = stateColour(ctx.outColour);
  const shown = Object.entries(s.counts).filter(([k]) => states.length === 0 || states.includes(k));
  const rows = shown.reduce((a, [, n]) => a + n, 0);
  const flags = `${states.length ? ` --state ${states.join(',')}` : ''}${format === 'json' ? ' --format json' : ''}`;
  return (
    renderFields([
      ['campaign', s.campaign],
      ['rows', rows],
      ...shown.map(([k, n]): [string, unknown] => [k, paint(k, String(n), n > 0)]),
      ...s.errors.filter((e) => states.length === 0 || states.includes(e.state)).slice(0, 5).map((e): [string, unknown] => [`error ${e.code}`, `${e.count} ${paint(e.state)} — ${e.sample}`]),
    ]) +
    `\nthe full report: mkt campaign report ${s.campaign}${flags} --out report.${format}\n` +
    `the first rows here: mkt campaign report ${s.campaign}${flags} --limit 20\n`
  );
}
