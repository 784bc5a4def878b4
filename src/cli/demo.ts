import path from 'node:path';
import type { Command } from 'commander';
import { renderFields } from '../output/table.js';
import { onInterrupt } from './interrupts.js';
import { demoCustomers, rateFlag, seedNumber } from './options.js';
import type { ActionFactory } from './run.js';

export function registerDemo(program: Command, action: ActionFactory): void {
  program
    .command('demo')
    .description('the whole lifecycle on demo data: seed, segment, prepare, send through the outbox, status')
    .option('--dir <path>', 'demo workspace folder (default: <workspace>/.mkt/demo; re-created each run)')
    .option('--customers <n>', 'demo customers to seed (1 to 1,000,000)', demoCustomers, 2000)
    .option('--seed <n>', 'seed for the demo data (0 to 4,294,967,295)', seedNumber, 1)
    .option('--throttle <rate>', 'send rate', rateFlag, '100/s')
    .action(
      action<{ dir?: string; customers: number; seed: number; throttle: string }>(async (ctx, _args, opts) => {
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
            dir: opts.dir ? path.resolve(opts.dir) : path.join(ctx.workspace, '.mkt', 'demo'),
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
