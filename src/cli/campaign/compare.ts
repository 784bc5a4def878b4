import type { Command } from 'commander';
import { percent, RESULT_LABELS } from '../../campaigns/results.js';
import { renderTable } from '../../output/table.js';
import type { ActionFactory } from '../run.js';
import { core } from './core.js';

/** `campaign compare A B …`: the results of several campaigns side by side, one column each. */
export function registerCompare(group: Command, action: ActionFactory): void {
  group
    .command('compare')
    .description('campaigns side by side: delivery, opens, clicks, click-through, unsubscribes')
    .argument('<names...>', 'two or more campaigns')
    .action(
      action(async (ctx, names) => {
        const c = await core(ctx, 'read');
        ctx.result(await c.views.compareCampaigns(c.deps, names), (x) => {
          const cell = (n: number, r: number | null) => `${n} (${percent(r)})`;
          return renderTable(
            ['', ...x.campaigns.map((k) => k.campaign)],
            [
              ['channel', ...x.campaigns.map((k) => k.channel)],
              ['recipients', ...x.campaigns.map((k) => k.recipients)],
              ...RESULT_LABELS.map(([key, label]) => [label, ...x.campaigns.map((k) => cell(k.results[key].count, k.results[key].rate))]),
              ['click-through', ...x.campaigns.map((k) => percent(k.results.click_through))],
              ['click-to-open', ...x.campaigns.map((k) => percent(k.results.click_to_open))],
            ],
          );
        });
      }),
    );
}
