import type { Command } from 'commander';
import { renderTable } from '../../output/table.js';
import type { ActionFactory } from '../run.js';
import { core } from './core.js';

/** `campaign links NAME`: each link the campaign sent, with its clicks (human total and unique, machine apart). */
export function registerLinks(group: Command, action: ActionFactory): void {
  group
    .command('links')
    .description('each tracked link of a campaign: URL, clicks, unique clicks, machine clicks')
    .argument('<name>')
    .action(
      action(async (ctx, [name]) => {
        const c = await core(ctx, 'read');
        ctx.result(await c.views.campaignLinks(c.deps, name!), (x) =>
          x.links.length === 0 ? `${x.campaign}: no tracked links\n` : renderTable(['url', 'clicks', 'unique', 'machine'], x.links.map((l) => [l.url, l.clicks, l.unique_clicks, l.machine_clicks])),
        );
      }),
    );
}
