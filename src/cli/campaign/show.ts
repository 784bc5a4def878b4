import type { Command } from 'commander';
import { showText } from '../campaign-format.js';
import type { ActionFactory } from '../run.js';
import { core } from './core.js';

export function registerShow(group: Command, action: ActionFactory): void {
  group
    .command('show')
    .description('one campaign, with its last plan')
    .argument('<name>')
    .action(
      action(async (ctx, [name]) => {
        const c = await core(ctx, 'read');
        const { view } = await import('../../campaigns/view.js');
        const v = view(await c.create.getCampaign(c.deps, name!));
        ctx.result(v, (x) => showText(x, ctx.outColour));
      }),
    );
}
