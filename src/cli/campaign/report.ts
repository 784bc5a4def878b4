import path from 'node:path';
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

/** `campaign report` flags as commander parsed them. */
export interface ReportFlags {
  format: 'csv' | 'json';
  html?: string;
  out?: string;
  state: string[];
  limit?: number;
}

/** What `campaign report` was asked to do. */
export interface ReportCommandOptions {
  name: string;
  format: 'csv' | 'json';
  out?: string;
  /** --state values as given (comma-separated or repeated); the core checks the names. */
  states: string[];
  limit?: number;
  /** Rows were asked for (a file or a limit); otherwise a terminal gets the summary. */
  rowsAsked: boolean;
  /** `--html FILE`: the one-page HTML report instead of rows. */
  html?: string;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseReportOptions(name: string, flags: ReportFlags): ReportCommandOptions {
  return {
    name,
    format: flags.format,
    ...(flags.out ? { out: flags.out } : {}),
    states: flags.state,
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
    rowsAsked: Boolean(flags.out) || flags.limit !== undefined,
    ...(flags.html ? { html: flags.html } : {}),
  };
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
    .option('--html <file>', 'write the one-page HTML report (results, funnel, timeline, links, senders, errors) instead of rows')
    .action(
      action<ReportFlags>(async (ctx, [name], flags) => {
        const o = parseReportOptions(name!, flags);
        const c = await core(ctx, 'read');
        if (o.html) {
          // one self-contained page, written private like the rows (it names senders and error samples)
          await c.report.writeReport(path.resolve(ctx.deps.cwd, o.html), [await c.html.htmlReport(c.deps, o.name, ctx.now().getTime())]);
          ctx.info(`wrote ${o.html}`);
          return;
        }
        const filter = { states: c.report.parseStates(o.states), limit: o.limit };
        // a person at a terminal gets the summary, not 27,000 rows scrolling past; --limit or a pipe gets rows
        if (!o.rowsAsked && ctx.io.stdout.isTTY && !ctx.json) {
          ctx.io.stdout.write(reportSummary(await c.status.campaignStatus(c.deps, o.name), filter.states, o.format, ctx));
          return;
        }
        const chunks = await c.report.reportChunks(c.deps, o.name, o.format, filter);
        if (o.out) {
          await c.report.writeReport(path.resolve(ctx.deps.cwd, o.out), chunks);
          ctx.info(`wrote ${o.out}`);
        } else for await (const chunk of chunks) ctx.io.stdout.write(chunk);
      }),
    );
}
