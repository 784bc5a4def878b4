import type { Command } from 'commander';
import type { CampaignStatus } from '../../campaigns/status.js';
import { stateColour } from '../../output/colour.js';
import { renderFields } from '../../output/table.js';
import type { CliContext } from '../context.js';
import { choiceFlag, collect, reportLimit } from '../options.js';
import type { ActionFactory } from '../run.js';
import { core } from './core.js';

/** `report` on a terminal without --out or --limit: counts and the commands for the rows. */
function reportSummary(s: CampaignStatus, states: string[], format: string, ctx: CliContext): string {
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

export function registerReport(group: Command, action: ActionFactory): void {
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
        const c = await core(ctx);
        const filter = { states: c.report.parseStates(opts.state), limit: opts.limit };
        // a person at a terminal gets the summary, not 27,000 rows scrolling past; --limit or a pipe gets rows
        if (!opts.out && opts.limit === undefined && ctx.io.stdout.isTTY && !ctx.json) {
          ctx.io.stdout.write(reportSummary(c.status.campaignStatus(c.deps, name!), filter.states, opts.format, ctx));
          return;
        }
        const chunks = c.report.reportChunks(c.deps, name!, opts.format, filter);
        if (opts.out) {
          const { createWriteStream } = await import('node:fs');
          const { once } = await import('node:events').then((m) => m.EventEmitter);
          const out = createWriteStream(opts.out, { mode: 0o600 });
          for (const chunk of chunks) if (!out.write(chunk)) await once(out, 'drain');
          out.end();
          await once(out, 'finish');
          ctx.info(`wrote ${opts.out}`);
        } else for (const chunk of chunks) ctx.io.stdout.write(chunk);
      }),
    );
}
