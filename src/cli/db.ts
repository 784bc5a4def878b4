import path from 'node:path';
import type { Command } from 'commander';
import { renderFields } from '../output/table.js';
import type { ActionFactory } from './run.js';

/** What `db backup` was asked to do. */
export interface BackupCommandOptions {
  /** Where the copy goes, absolute. */
  target: string;
  force: boolean;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseBackupOptions(file: string, flags: { force?: boolean }, cwd: string): BackupCommandOptions {
  return { target: path.resolve(cwd, file), force: Boolean(flags.force) };
}

export function registerDb(program: Command, action: ActionFactory): void {
  const group = program.command('db').description('the database: migrate, backup, copy');

  group
    .command('migrate')
    .description('bring the database schema up to date (SQLite file or postgres:// URL); safe to run again, and opening the database does it too')
    .action(
      action(async (ctx) => {
        const repos = await ctx.repositories();
        const r = await repos.migrate();
        ctx.result({ store: repos.kind, database: repos.name, ...r }, (v) => `${v.database} (${v.store}): ${v.applied} migration(s) applied now, ${v.total} in all; schema up to date\n`);
      }),
    );

  group
    .command('backup')
    .description('a consistent, verified copy of the database (SQLite online backup; safe while a send runs), written 0600')
    .argument('<file>', 'where to write the copy')
    .option('--force', 'replace the file if it exists')
    .action(
      action<{ force?: boolean }>(async (ctx, [file], flags) => {
        const o = parseBackupOptions(file!, flags, ctx.deps.cwd);
        const { backupDatabase } = await import('../db/backup.js');
        const result = await backupDatabase({ source: ctx.dbPath, target: o.target, force: o.force });
        ctx.result(result, (r) => `backed up ${r.source} to ${r.file} (${r.bytes} bytes, integrity ok, mode 0600)\n`);
      }),
    );

  group
    .command('copy')
    .description('copy a whole database (customers, suppressions, campaigns, ledgers, feedback, engagement) from an SQLite file into PostgreSQL or back, in one transaction on the target')
    .argument('<source>', 'the SQLite file or postgres:// URL to copy from')
    .argument('<target>', 'the postgres:// URL or SQLite file to copy into (empty, or --replace; a missing file is created)')
    .option('--replace', 'delete what the target holds first (in the same transaction)')
    .action(
      action<{ replace?: boolean }>(async (ctx, [source, target], opts) => {
        const [{ copyDatabase }, { recheckStoredAddresses }] = await Promise.all([import('../db/copy.js'), import('../customers/recheck.js')]);
        const r = await copyDatabase(source!, target!, { cwd: ctx.deps.cwd, replace: opts.replace, recheck: recheckStoredAddresses });
        ctx.result(r, (v) => `copied ${v.total} rows from ${v.source} to ${v.target}${v.replaced ? ' (its previous rows deleted)' : ''}:\n${renderFields(Object.entries(v.tables))}`);
      }),
    );
}
