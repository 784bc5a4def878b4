import type { Command } from 'commander';
import { stateColour } from '../../output/colour.js';
import { renderTable } from '../../output/table.js';
import type { ActionFactory } from '../run.js';
import { core } from './core.js';

export function registerList(group: Command, action: ActionFactory): void {
  group
    .command('list')
    .description('all campaigns')
    .action(
      action(async (ctx) => {
        const c = await core(ctx, 'read');
        const rows = await c.create.listCampaignViews(c.deps);
        const paint = stateColour(ctx.outColour);
        ctx.result(rows, (list) =>
          renderTable(
            ['name', 'state', 'channel', 'segment', 'provider', 'template', 'schedule'],
            list.map((v) => [v.name, paint(v.state), v.channel, v.segment, v.provider, v.template, v.schedule]),
          ),
        );
      }),
    );
}
