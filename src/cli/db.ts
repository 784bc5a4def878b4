import type { Command } from 'commander';
import type { ActionFactory } from './run.js';

export function registerDb(program: Command, action: ActionFactory): void {
  const group = program.command('db').description('the database file: backup');

  group
    .command('backup')
    .description('a consistent, verified copy of the database (SQLite online backup; safe while a send runs), written 0600')
    .argument('<file>', 'where to write the copy')
    .option('--force', 'replace the file if it exists')
    .action(
      action<{ force?: boolean }>(async (ctx, [file], opts) => {
        const path = await import('node:path');
        const { backupDatabase } = await import('../db/backup.js');
        const result = await backupDatabase({ source: ctx.dbPath, target: path.resolve(ctx.deps.cwd, file!), force: opts.force });
        ctx.result(result, (r) => `backed up ${r.source} to ${r.file} (${r.bytes} bytes, integrity ok, mode 0600)\n`);
      }),
    );
}
