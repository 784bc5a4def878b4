import type { Command } from 'commander';
import { confirmOrRefuse, YES_FLAG } from '../confirm.js';
import type { ActionFactory } from '../run.js';
import { heartbeatEveryMs } from '../../campaigns/heartbeat.js';
import { core } from './core.js';
import { workerTtlMs } from '../worker-ttl.js';

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
        // a sender reads the state in each claim, and at each heartbeat while it waits
        const within = Math.ceil(heartbeatEveryMs(workerTtlMs(ctx.io.env)) / 1000);
        ctx.result(v, (x) => `cancelled ${x.name}: a running send stops claiming at its next claim, within ${within} s at the latest (its next heartbeat); requests already in flight finish\n`);
      }),
    );
}
