import type { Command } from 'commander';
import type { CampaignStatus } from '../../campaigns/status.js';
import { statusLine, statusText } from '../campaign-format.js';
import type { CliContext } from '../context.js';
import { watchInterval } from '../options.js';
import type { ActionFactory } from '../run.js';
import { core } from './core.js';

/** `status --watch`: until the campaign is no longer sending; Ctrl-C only ends the watching (exit 0). */
async function watchStatus(ctx: CliContext, read: () => Promise<CampaignStatus>, intervalMs: number): Promise<void> {
  const { watch } = await import('../watch.js');
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
      intervalMs,
      signal: controller.signal,
    });
    for (const w of last.warnings) ctx.warn(w);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/** What `campaign status` was asked to do: one reading, or readings every `watchMs` until sending ends. */
export interface StatusCommandOptions {
  name: string;
  watchMs?: number;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseStatusOptions(name: string, flags: { watch?: boolean; interval: number }): StatusCommandOptions {
  return flags.watch ? { name, watchMs: flags.interval * 1000 } : { name };
}

export function registerStatus(group: Command, action: ActionFactory): void {
  group
    .command('status')
    .description('state, ledger counts, senders, errors and timings')
    .argument('<name>')
    .option('--watch', 'refresh until the campaign is no longer sending (in place on a terminal, a line per refresh otherwise)')
    .option('--interval <seconds>', 'seconds between refreshes with --watch (1 to 3600)', watchInterval, 2)
    .action(
      action<{ watch?: boolean; interval: number }>(async (ctx, [name], flags) => {
        const o = parseStatusOptions(name!, flags);
        const c = await core(ctx, 'read');
        const read = () => c.status.campaignStatus(c.deps, o.name);
        if (o.watchMs !== undefined) return watchStatus(ctx, read, o.watchMs);
        const s = await read();
        for (const w of s.warnings) ctx.warn(w);
        ctx.result(s, (x) => statusText(x, ctx.outColour));
      }),
    );
}
