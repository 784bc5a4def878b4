/**
 * One campaign's definition from the command line: edit, schedule, unschedule, clone, delete,
 * archive. The rule of what may change when is the core's (campaigns/definition.ts).
 */
import type { Command } from 'commander';
import { checkField } from '../../campaigns/spec.js';
import { UsageError } from '../../errors.js';
import { confirmOrRefuse, YES_FLAG } from '../confirm.js';
import { checkedFlag, collect } from '../options.js';
import type { ActionFactory } from '../run.js';
import { core } from './core.js';

const NOW_FLAG = ['--now', 'accept a time that has passed (the campaign is due at once)'] as const;

export function registerEdit(group: Command, action: ActionFactory): void {
  group
    .command('edit')
    .description('change a campaign\'s definition (what its state allows: a sending campaign only its throttle, schedule and concurrency)')
    .argument('<name>')
    .option('--set <key=value>', 'a campaign-file key and its new value; empty unsets it (repeatable)', collect)
    .option('--dry-run', 'say what would change, change nothing')
    .option(...NOW_FLAG)
    .action(
      action<{ set?: string[]; dryRun?: boolean; now?: boolean }>(async (ctx, [name], flags) => {
        if (!flags.set?.length) throw new UsageError('nothing to change: give --set key=value');
        const [c, { parseSets, changeCampaign }, { planText }] = await Promise.all([core(ctx), import('../../campaigns/manage.js'), import('../../campaigns/definition.js')]);
        const changes = parseSets(flags.set);
        const r = await changeCampaign(c.deps, name!, changes, { dryRun: flags.dryRun, allowPast: flags.now });
        ctx.result({ ...r.line, dry_run: Boolean(flags.dryRun), campaign: r.campaign }, (v) => `${v.name}: ${planText(v)}\n`);
      }),
    );

  group
    .command('schedule')
    .description('set when `send --due` may send the campaign')
    .argument('<name>')
    .argument('<at>', 'ISO 8601 time with a zone, e.g. 2026-12-01T09:00:00Z', checkedFlag((v) => checkField('schedule', v)))
    .option(...NOW_FLAG)
    .action(
      action<{ now?: boolean }>(async (ctx, [name, at], flags) => {
        const [c, { changeCampaign }] = await Promise.all([core(ctx), import('../../campaigns/manage.js')]);
        const r = await changeCampaign(c.deps, name!, { schedule: at }, { allowPast: flags.now });
        ctx.result(r.campaign, (v) => `${v.name} scheduled for ${v.schedule}\n`);
      }),
    );

  group
    .command('unschedule')
    .description('take the schedule off a campaign: `send --due` no longer sends it')
    .argument('<name>')
    .action(
      action(async (ctx, [name]) => {
        const [c, { changeCampaign }] = await Promise.all([core(ctx), import('../../campaigns/manage.js')]);
        const r = await changeCampaign(c.deps, name!, { schedule: undefined });
        ctx.result(r.campaign, (v) => `${v.name} is not scheduled\n`);
      }),
    );

  group
    .command('clone')
    .description('a new draft with the definition of another campaign (without its schedule)')
    .argument('<source>')
    .argument('<name>', 'the new campaign\'s name (a slug)', checkedFlag((v) => checkField('name', v)))
    .action(
      action(async (ctx, [source, name]) => {
        const [c, { cloneCampaign }] = await Promise.all([core(ctx), import('../../campaigns/manage.js')]);
        const v = await cloneCampaign(c.deps, source!, name!);
        ctx.result(v, (x) => `created campaign ${x.name} from ${source}; next: mkt campaign prepare ${x.name}\n`);
      }),
    );

  group
    .command('delete')
    .description('delete a draft campaign (one that has a send list keeps it: archive it when finished)')
    .argument('<name>')
    .option(...YES_FLAG)
    .action(
      action<{ yes?: boolean }>(async (ctx, [name], flags) => {
        const [c, { deleteCampaign }] = await Promise.all([core(ctx), import('../../campaigns/manage.js')]);
        await c.create.getCampaign(c.deps, name!);
        await confirmOrRefuse(ctx, flags.yes, `Delete the draft campaign "${name}"?`, 'deleting a campaign');
        ctx.result(await deleteCampaign(c.deps, name!), (x) => `deleted ${x.name}\n`);
      }),
    );

  group
    .command('archive')
    .description('hide a completed or cancelled campaign from `campaign list` (its ledger and reports stay)')
    .argument('<name>')
    .action(
      action(async (ctx, [name]) => {
        const [c, { archiveCampaign }] = await Promise.all([core(ctx), import('../../campaigns/manage.js')]);
        ctx.result(await archiveCampaign(c.deps, name!), (x) => `archived ${x.name} (shown by \`mkt campaign list --all\`)\n`);
      }),
    );
}
