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

export interface SuppressAddFlags {
  channel?: string;
  reason: string;
  note?: string;
}

/** What `suppress add` was asked to do. */
export interface SuppressAddOptions {
  address: string;
  /** Undefined: from the address (an email, else a number: sms). */
  channel?: string;
  reason: string;
  note?: string;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseSuppressAddOptions(address: string, flags: SuppressAddFlags): SuppressAddOptions {
  return { address, ...(flags.channel ? { channel: flags.channel } : {}), reason: flags.reason, ...(flags.note !== undefined ? { note: flags.note } : {}) };
}

/** What `suppress remove` was asked to do. */
export interface SuppressRemoveOptions {
  address: string;
  channel?: string;
  /** --yes: lifting needs no question. */
  confirmed: boolean;
}

export function parseSuppressRemoveOptions(address: string, flags: { channel?: string; yes?: boolean }): SuppressRemoveOptions {
  return { address, ...(flags.channel ? { channel: flags.channel } : {}), confirmed: Boolean(flags.yes) };
}

/** What `suppress list` was asked to do. */
export interface SuppressListOptions {
  channel?: string;
}

export function parseSuppressListOptions(flags: { channel?: string }): SuppressListOptions {
  return flags.channel ? { channel: flags.channel } : {};
}

export interface SuppressImportFlags {
  channel?: string;
  reason: string;
  format?: 'csv' | 'json' | 'jsonl';
}

/** What `suppress import` was asked to do. */
export interface SuppressImportOptions {
  file: string;
  /** For rows without a channel column. */
  channel?: string;
  /** For rows without a reason column. */
  reason: string;
  format?: 'csv' | 'json' | 'jsonl';
}

export function parseSuppressImportOptions(file: string, flags: SuppressImportFlags): SuppressImportOptions {
  return { file, ...(flags.channel ? { channel: flags.channel } : {}), reason: flags.reason, ...(flags.format ? { format: flags.format } : {}) };
}

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
      action<SuppressAddFlags>(async (ctx, [address], flags) => {
        const o = parseSuppressAddOptions(address!, flags);
        const { addSuppression } = await import('../compliance/suppressions.js');
        const r = await addSuppression((await ctx.repositories()).suppressions, o, ctx.now().getTime());
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
      action<{ channel?: string; yes?: boolean }>(async (ctx, [address], flags) => {
        const o = parseSuppressRemoveOptions(address!, flags);
        const { removeSuppression } = await import('../compliance/suppressions.js');
        await confirmOrRefuse(ctx, o.confirmed, `Lift the suppression of ${o.address}${o.channel ? ` on ${o.channel}` : ''}? Only with the person's renewed consent.`, 'lifting a suppression');
        const r = await removeSuppression((await ctx.repositories()).suppressions, { address: o.address, channel: o.channel });
        ctx.result(r, (x) => (x.removed ? `lifted the suppression of ${x.address} on ${x.channel}\n` : `${x.address} was not suppressed on ${x.channel}\n`));
      }),
    );

  group
    .command('list')
    .description('suppressed addresses')
    .option('--channel <channel>', 'only this channel', channelFlag)
    .action(
      action<{ channel?: string }>(async (ctx, _args, flags) => {
        const o = parseSuppressListOptions(flags);
        const { listSuppressions } = await import('../compliance/suppressions.js');
        const rows = await listSuppressions((await ctx.repositories('read')).suppressions, o.channel);
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
      action<SuppressImportFlags>(async (ctx, [file], flags) => {
        const o = parseSuppressImportOptions(file!, flags);
        const { importSuppressions } = await import('../compliance/suppressions.js');
        // through the repositories, so it runs on either store (SQLite or PostgreSQL)
        const r = await importSuppressions((await ctx.repositories()).imports, { ...o, now: ctx.now().getTime() });
        ctx.result(r, (x) => renderFields(Object.entries(x)));
      }),
    );
}
