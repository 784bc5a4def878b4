import type { Command } from 'commander';
import { renderFields, renderTable } from '../output/table.js';
import { confirmOrRefuse, YES_FLAG } from './confirm.js';
import type { ActionFactory } from './run.js';
import { CHANNELS } from '../channels.js';
import { SUPPRESSION_REASONS } from '../compliance/vocabulary.js';
import { choiceFlag } from './options.js';

const channelFlag = choiceFlag(CHANNELS);
// checked while parsing (exit 64 before a database is opened); the list is a tiny module, not the import code
const reasonFlag = choiceFlag(SUPPRESSION_REASONS);
const REASONS = SUPPRESSION_REASONS.join(', ');

export function registerSuppress(program: Command, action: ActionFactory): void {
  const group = program.command('suppress').description('the suppression list: addresses never sent to on a channel');

  group
    .command('add')
    .description('suppress an address on a channel')
    .argument('<address>', 'email address or phone number')
    .option('--channel <channel>', 'email, sms or whatsapp', channelFlag)
    .option('--reason <reason>', REASONS, reasonFlag, 'manual')
    .option('--note <text>', 'why, for the record')
    .action(
      action<{ channel?: string; reason: string; note?: string }>(async (ctx, [address], opts) => {
        const { addSuppression } = await import('../compliance/suppressions.js');
        const r = await addSuppression((await ctx.repositories()).suppressions, { address: address!, channel: opts.channel, reason: opts.reason, note: opts.note }, ctx.now().getTime());
        ctx.result(r, (x) =>
          x.added ? `suppressed ${x.suppression.address} on ${x.suppression.channel} (${x.suppression.reason})\n` : `${x.suppression.address} was already suppressed on ${x.suppression.channel} (${x.suppression.reason} since ${x.suppression.created_at})\n`,
        );
      }),
    );

  group
    .command('remove')
    .description('lift a suppression (only with the person\'s renewed consent)')
    .argument('<address>')
    .option('--channel <channel>', 'email, sms or whatsapp', channelFlag)
    .option(...YES_FLAG)
    .action(
      action<{ channel?: string; yes?: boolean }>(async (ctx, [address], opts) => {
        const { removeSuppression } = await import('../compliance/suppressions.js');
        await confirmOrRefuse(ctx, opts.yes, `Lift the suppression of ${address}${opts.channel ? ` on ${opts.channel}` : ''}? Only with the person's renewed consent.`, 'lifting a suppression');
        const r = await removeSuppression((await ctx.repositories()).suppressions, { address: address!, channel: opts.channel });
        ctx.result(r, (x) => (x.removed ? `lifted the suppression of ${x.address} on ${x.channel}\n` : `${x.address} was not suppressed on ${x.channel}\n`));
      }),
    );

  group
    .command('list')
    .description('suppressed addresses')
    .option('--channel <channel>', 'only this channel', channelFlag)
    .action(
      action<{ channel?: string }>(async (ctx, _args, opts) => {
        const { listSuppressions } = await import('../compliance/suppressions.js');
        const rows = await listSuppressions((await ctx.repositories('read')).suppressions, opts.channel);
        ctx.result(rows, (list) => renderTable(['channel', 'address', 'reason', 'source', 'since'], list.map((r) => [r.channel, r.address, r.reason, r.source, r.created_at])));
      }),
    );

  group
    .command('import')
    .description('suppress every address of a CSV / JSON / JSONL file (all or nothing)')
    .argument('<file>')
    .option('--channel <channel>', 'channel for rows without a channel column', channelFlag)
    .option('--reason <reason>', `reason for rows without a reason column (${REASONS})`, reasonFlag, 'manual')
    .option('--format <format>', 'csv, json or jsonl (default: from the extension)', choiceFlag(['csv', 'json', 'jsonl'] as const))
    .action(
      action<{ channel?: string; reason: string; format?: 'csv' | 'json' | 'jsonl' }>(async (ctx, [file], opts) => {
        const { importSuppressions } = await import('../compliance/suppressions.js');
        const r = await importSuppressions(await ctx.store(), { file: file!, channel: opts.channel, reason: opts.reason, format: opts.format, now: ctx.now().getTime() });
        ctx.result(r, (x) => renderFields(Object.entries(x)));
      }),
    );
}
