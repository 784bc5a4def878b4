import type { Command } from 'commander';
import type { Campaign } from '../../db/campaigns.js';
import { renderFields } from '../../output/table.js';
import { planText } from '../campaign-format.js';
import type { ActionFactory } from '../run.js';
import { budgetOption, parsePreflightOptions, preflight, preflightError } from './check.js';
import { core, type Core } from './core.js';

async function estimateSegments(deps: Core['deps'], row: Campaign): Promise<number | undefined> {
  const { sampleSmsSegments } = await import('../../campaigns/estimate.js');
  return sampleSmsSegments(deps, row);
}

export function registerPrepare(group: Command, action: ActionFactory): void {
  group
    .command('prepare')
    .description('recount the segment and freeze it into the send list')
    .argument('<name>')
    .option('--refresh', 'after sending started: only add recipients who newly match')
    .option('--budget <amount>', 'refuse when the estimated cost is over this', budgetOption)
    .action(
      action<{ refresh?: boolean; budget?: number }>(async (ctx, [name], flags) => {
        const o = parsePreflightOptions(name!, flags);
        const c = await core(ctx);
        const hooks = await c.compliance.loadSendHooks(ctx.workspace, ctx.io.env);
        const report = await preflight(ctx, c, o.name, hooks, o.budget);
        if (!report.ok) throw preflightError(report);
        const plan = await c.prepare.prepareCampaign(c.deps, o.name, { refresh: o.refresh, exclusions: hooks.exclusions, estimateSmsSegments: (row) => estimateSegments(c.deps, row), renderFailures: report.render_failures });
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
}
