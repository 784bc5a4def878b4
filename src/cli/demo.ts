import path from 'node:path';
import type { Command } from 'commander';
import { renderFields } from '../output/table.js';
import { onInterrupt } from './interrupts.js';
import { demoCustomers, rateFlag, seedNumber } from './options.js';
import type { ActionFactory } from './run.js';

export interface DemoFlags {
  dir?: string;
  customers: number;
  seed: number;
  throttle: string;
}

/** What `mkt demo` was asked to do. */
export interface DemoCommandOptions {
  /** The demo workspace, absolute: --dir (against `cwd`), else <workspace>/.mkt/demo. */
  dir: string;
  customers: number;
  seed: number;
  throttle: string;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseDemoOptions(flags: DemoFlags, where: { cwd: string; workspace: string }): DemoCommandOptions {
  return {
    dir: flags.dir ? path.resolve(where.cwd, flags.dir) : path.join(where.workspace, '.mkt', 'demo'),
    customers: flags.customers,
    seed: flags.seed,
    throttle: flags.throttle,
  };
}

export function registerDemo(program: Command, action: ActionFactory): void {
  program
    .command('demo')
    .description('the whole lifecycle on demo data: seed, segment, prepare, send through the outbox, status')
    .option('--dir <path>', 'demo workspace folder (default: <workspace>/.mkt/demo; re-created each run)')
    .option('--customers <n>', 'demo customers to seed (1 to 1,000,000)', demoCustomers, 2000)
    .option('--seed <n>', 'seed for the demo data (0 to 4,294,967,295)', seedNumber, 1)
    .option('--throttle <rate>', 'send rate', rateFlag, '100/s')
    .action(
      action<DemoFlags>(async (ctx, _args, flags) => {
        // --dir as the shell resolves it (the process's folder), as before
        const opts = parseDemoOptions(flags, { cwd: process.cwd(), workspace: ctx.workspace });
        const [{ runDemo }, { loadSendHooks }, { progressView }] = await Promise.all([
          import('../campaigns/demo.js'),
          import('../campaigns/compliance-hooks.js'),
          import('../output/progress.js'),
        ]);
        const view = progressView(ctx, 2000);
        const controller = new AbortController();
        // once, as before: a second Ctrl-C ends the demo at once (the default action)
        const release = onInterrupt(() => {
          view.clear();
          controller.abort();
          release();
        });
        let out;
        try {
          out = await runDemo({
            dir: opts.dir,
            customers: opts.customers,
            seed: opts.seed,
            throttle: opts.throttle,
            now: () => ctx.now().getTime(),
            env: ctx.io.env,
            signal: controller.signal,
            onStep: (m) => {
              view.clear();
              ctx.info(`${ctx.colour.green('›')} ${m}`);
            },
            onProgress: (p) => view.update(p),
            hooks: loadSendHooks,
          });
        } finally {
          view.stop();
          release();
        }
        const r = out.result;
        ctx.result(r, (x) =>
          renderFields([
            ['campaign', `${x.status.campaign} (${x.status.state})`],
            ['recipients', x.status.recipients],
            ['sent', x.status.counts.sent],
            ['failed', x.status.counts.failed],
            ['skipped', x.status.counts.skipped],
            ['by sender', Object.entries(x.status.by_sender).map(([k, v]) => `${k}: ${v}`).join('; ')],
            ['rate', x.status.rate_per_s === null ? '' : `${x.status.rate_per_s}/s`],
            ['messages', x.outbox],
            ['try next', `mkt --workspace ${x.workspace} campaign status ${x.status.campaign}`],
          ]),
        );
        if (out.error) throw out.error;
      }),
    );
}
