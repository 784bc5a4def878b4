import type { Command } from 'commander';
import { confirmOrRefuse, YES_FLAG } from '../confirm.js';
import type { ActionFactory } from '../run.js';
import { core } from './core.js';

export function registerCancel(group: Command, action: ActionFactory): void {
  group
    .command('cancel')
    .description('cancel a campaign that has not finished (a running send stops claiming)')
    .argument('<name>')
    .option(...YES_FLAG)
    .action(
      action<{ yes?: boolean }>(async (ctx, [name], opts) => {
        const c = await core(ctx);
        const row = await c.create.getCampaign(c.deps, name!);
        await confirmOrRefuse(ctx, opts.yes, `Cancel campaign "${row.name}" (${row.state})? It cannot be sent again.`, 'cancelling a campaign');
        const v = await c.create.cancelCampaign(c.deps, name!);
        ctx.result(v, (x) => `cancelled ${x.name}\n`);
      }),
    );
}
