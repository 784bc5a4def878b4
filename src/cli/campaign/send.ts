import type { Command } from 'commander';
import type { SendHooks } from '../../campaigns/compliance-hooks.js';
import { renderFailureLines } from '../../campaigns/render-failures.js';
import type { DueRun } from '../../campaigns/send-due.js';
import type { SendOptions, SendSummary } from '../../campaigns/send.js';
import { ConfigError, UsageError } from '../../errors.js';
import { exitCodeFor, worstExit } from '../../output/exit-codes.js';
import type { ProgressView } from '../../output/progress.js';
import { renderFields } from '../../output/table.js';
import { confirmOrRefuse, YES_FLAG } from '../confirm.js';
import type { CliContext } from '../context.js';
import { favourSmallHeap } from '../heap.js';
import { onInterrupt } from '../interrupts.js';
import { concurrency, graceSeconds, percent, rateFlag, renderFailuresAllowed, sendLimit } from '../options.js';
import type { ActionFactory } from '../run.js';
import { core, type Core } from './core.js';

const summaryText = (s: SendSummary) =>
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
    ...(s.render_failures ? renderFailureLines(s.render_failures).map((line) => ['render failure', line] as [string, unknown]) : []),
  ]);

/** The flags as commander parsed them (each value already checked by src/cli/options.ts). */
export interface SendFlags {
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
  allowRenderFailures?: number;
  winner?: string;
}

/** What `campaign send` was asked to do. */
export interface SendCommandOptions {
  /** One campaign by name, or every campaign that is due. */
  target: { due: true } | { due: false; name: string };
  /** No question needed: --yes, or a dry run (it changes nothing). */
  confirmed: boolean;
  /** The options of each campaign's run, as sendCampaign takes them. */
  run: Pick<SendOptions, 'throttle' | 'concurrency' | 'limit' | 'dryRun' | 'retryFailed' | 'retryUnknown' | 'maxDrift' | 'graceMs' | 'allowRenderFailures' | 'winner'>;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseSendOptions(args: readonly string[], flags: SendFlags): SendCommandOptions {
  const [name] = args;
  if (flags.due && name) throw new UsageError('give either a campaign name or --due, not both');
  if (!flags.due && !name) throw new UsageError('which campaign? give its name, or --due');
  return {
    target: flags.due ? { due: true } : { due: false, name: name! },
    confirmed: Boolean(flags.yes || flags.dryRun),
    run: {
      throttle: flags.throttle,
      concurrency: flags.concurrency,
      limit: flags.limit,
      dryRun: flags.dryRun,
      retryFailed: flags.retryFailed,
      retryUnknown: flags.retryUnknown,
      maxDrift: flags.maxDrift,
      graceMs: flags.grace * 1000,
      ...(flags.allowRenderFailures !== undefined ? { allowRenderFailures: flags.allowRenderFailures } : {}),
      ...(flags.winner !== undefined ? { winner: flags.winner } : {}),
    },
  };
}

export function registerSend(group: Command, action: ActionFactory): void {
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
    .option('--winner <variant>', 'A/B test: send this variant to the rest now, instead of waiting for the metric')
    .option('--allow-render-failures <n>', 'send although prepare found up to N recipients whose message does not render', renderFailuresAllowed)
    .action(action<SendFlags>(async (ctx, args, flags) => sendCommand(ctx, parseSendOptions(args, flags))));
}

async function sendCommand(ctx: CliContext, o: SendCommandOptions): Promise<void> {
  favourSmallHeap();
  // the one PostgreSQL pool of the process: the send's concurrency plus a few (db/connect.ts)
  if (o.run.concurrency !== undefined) ctx.sizePoolFor(o.run.concurrency);
  const c = await core(ctx);
  const hooks = await c.compliance.loadSendHooks(ctx.workspace, ctx.io.env);
  const selection = o.target.due ? await (await import('../../campaigns/due.js')).dueSelection(c.deps) : undefined;
  const names = o.target.due ? selection!.names : [o.target.name];
  const skipped = selection?.skipped ?? [];
  for (const s of skipped) ctx.warn(`skipped ${s.campaign}: ${s.reason.replace('_', ' ')}: ${s.message}`);
  if (o.target.due && names.length === 0) {
    ctx.result({ due: [], skipped, campaigns: [] }, () => 'no campaign is due\n');
    return;
  }
  for (const n of names) await confirmOrRefuse(ctx, o.confirmed, await confirmText(c, n, o.run), 'sending');
  const screen: Screen = {};
  const signals = trapSignals(ctx, screen);
  const send = (n: string) => runSend(ctx, c, n, o.run, hooks, signals.controller.signal, screen);
  let one: Awaited<ReturnType<typeof send>> | undefined;
  let runs: DueRun[] = [];
  try {
    if (!o.target.due) one = await send(o.target.name);
    else {
      const { sendDue } = await import('../../campaigns/send-due.js');
      runs = await sendDue(c.deps, names, {
        exclusions: hooks.exclusions,
        signal: signals.controller.signal,
        onPrepared: (n, plan) => ctx.info(`prepared ${n}: ${plan.recipients} recipient(s)`),
        send,
      });
    }
  } finally {
    signals.release();
  }
  if (one) {
    ctx.result(one.summary, summaryText);
    if (one.error) throw one.error;
    return;
  }
  ctx.result(
    { due: names, skipped, campaigns: runs.map((r) => ({ campaign: r.campaign, ...(r.summary ? { summary: r.summary } : {}), ...(r.error ? { error: r.error.toJSON() } : {}) })) },
    (v) => v.campaigns.map((x) => `${x.campaign}: ${x.error ? `error ${x.error.code}: ${x.error.message}` : dueLine(x.summary!)}\n`).join(''),
  );
  // the worst outcome decides the exit code; the others are named on stderr. A storage fault
  // (corrupt, read-only, disk full) outranks everything: no CI run may pass it as 75
  const errors = runs.flatMap((r) => (r.error ? [r.error] : []));
  const { isStorageFault } = await import('../../db/faults.js');
  const worst = worstExit(errors, isStorageFault);
  if (worst) {
    for (const e of errors) if (e !== worst) ctx.warn(`${e.code}: ${e.message} (exit ${exitCodeFor(e)})`);
    throw worst;
  }
}

/** One campaign of a `--due` run: how it stopped, what it sent, and how many wait for later. */
const dueLine = (s: SendSummary) => `${s.stop}, sent ${s.sent}${s.waiting.count ? `, waiting: ${s.waiting.count} until ${s.waiting.until}` : ''}`;

async function confirmText(c: Core, name: string, opts: SendCommandOptions['run']): Promise<string> {
  const row = await c.create.getCampaign(c.deps, name);
  const plan = row.plan ?? undefined;
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

/**
 * MKT_WORKER_TTL_S: how long a silent worker (or SQLite lease holder) counts as alive; its
 * heartbeat beats every sixth of it. Default 30 s; lower it where workers die often and their
 * in-flight rows should become `unknown` sooner.
 */
export function workerTtlMs(env: NodeJS.ProcessEnv): number | undefined {
  const text = env.MKT_WORKER_TTL_S;
  if (text === undefined || text === '') return undefined;
  if (!/^[1-9]\d{0,5}$/.test(text)) throw new ConfigError('bad_worker_ttl', `MKT_WORKER_TTL_S="${text}" is not a whole number of seconds`, { hint: 'e.g. MKT_WORKER_TTL_S=10' });
  return Number(text) * 1000;
}

async function runSend(ctx: CliContext, c: Core, name: string, run: SendCommandOptions['run'], hooks: SendHooks, signal: AbortSignal, screen: Screen) {
  const { progressView } = await import('../../output/progress.js');
  const view = run.dryRun ? undefined : progressView(ctx);
  screen.view = view;
  try {
    return await c.send.sendCampaign(c.deps, name, {
      ...run,
      signal,
      leaseTtlMs: workerTtlMs(ctx.io.env),
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
