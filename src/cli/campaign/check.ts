import type { Command } from 'commander';
import type { PreflightReport } from '../../campaigns/check.js';
import type { SendHooks } from '../../campaigns/compliance-hooks.js';
import { InputError } from '../../errors.js';
import { renderFields } from '../../output/table.js';
import type { CliContext } from '../context.js';
import { amount } from '../options.js';
import type { ActionFactory } from '../run.js';
import { core, type Core } from './core.js';

export const budgetOption = amount;

/** Runs the pre-flight checks; warnings go to stderr at once. Shared by `check` and `prepare`. */
export async function preflight(ctx: CliContext, c: Core, name: string, hooks: SendHooks, budget?: number): Promise<PreflightReport> {
  const { checkCampaign } = await import('../../campaigns/check.js');
  const report = await checkCampaign(c.deps, name, { budget, unsubscribe: hooks.unsubscribe });
  for (const w of report.warnings) ctx.warn(`${w.code}: ${w.message}`);
  return report;
}

export function preflightError(report: PreflightReport): InputError {
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
    ['rendered', r.rendered],
    // the causes are in the render_failures warning (stderr, and `warnings` in --json)
    ...(r.render_failures.total > 0 ? [['render failures', r.render_failures.total] as [string, unknown]] : []),
    ...(r.estimate.sms_segments !== undefined ? [['sms segments', r.estimate.sms_segments] as [string, unknown]] : []),
    ...(r.estimate.cost !== undefined ? [['estimated cost', r.estimate.cost] as [string, unknown]] : []),
    ...(r.estimate.budget !== undefined ? [['budget', r.estimate.budget] as [string, unknown]] : []),
    ...r.errors.map((e) => [`error ${e.code}`, e.message] as [string, unknown]),
    ...r.warnings.map((w) => [`warning ${w.code}`, w.message] as [string, unknown]),
  ]);

/** What `campaign check` and `campaign prepare` were asked to do. */
export interface PreflightCommandOptions {
  name: string;
  /** Refuse when the estimated cost is over this. */
  budget?: number;
  /** prepare only: after sending started, only add recipients who newly match. */
  refresh: boolean;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parsePreflightOptions(name: string, flags: { budget?: number; refresh?: boolean }): PreflightCommandOptions {
  return { name, ...(flags.budget !== undefined ? { budget: flags.budget } : {}), refresh: Boolean(flags.refresh) };
}

export function registerCheck(group: Command, action: ActionFactory): void {
  group
    .command('check')
    .description('pre-flight: unsubscribe link, opt-out text, segments, WhatsApp to +1, senders, cost (errors exit 65)')
    .argument('<name>')
    .option('--budget <amount>', 'refuse when the estimated cost is over this', budgetOption)
    .action(
      action<{ budget?: number }>(async (ctx, [name], flags) => {
        const o = parsePreflightOptions(name!, flags);
        const c = await core(ctx, 'read');
        const hooks = await c.compliance.loadSendHooks(ctx.workspace, ctx.io.env);
        const report = await preflight(ctx, c, o.name, hooks, o.budget);
        ctx.result(report, preflightText);
        if (!report.ok) throw preflightError(report);
      }),
    );
}
