import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { renderFields } from '../output/table.js';
import { confirmOrRefuse, YES_FLAG } from './confirm.js';
import { connectWithinMs } from './connect-deadline.js';
import { envSecondsMs } from './env-number.js';
import { onInterrupt } from './interrupts.js';
import type { ActionFactory } from './run.js';
import { workerTtlMs } from './worker-ttl.js';

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

/**
 * MKT_DB_COPY_ANSWER_S: how long `db copy` down waits for PostgreSQL to answer one statement
 * (a count, a batch of 5,000 rows) before it counts the server as lost (exit 69, the file as it
 * was). Default 60 s; raise it for a server that is slow to count a very large table.
 */
export function copyAnswerMs(env: NodeJS.ProcessEnv): number | undefined {
  return envSecondsMs(env, 'MKT_DB_COPY_ANSWER_S', 'bad_copy_answer', 300);
}

export function registerDb(program: Command, action: ActionFactory): void {
  const group = program.command('db').description('the database: migrate, backup, copy, replay-spool');

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
    .option('--replace', 'delete what the target holds first (in the same transaction; asks first)')
    .option(...YES_FLAG)
    .action(
      action<CopyFlags>(async (ctx, [source, target], flags) => {
        const o = parseCopyOptions(source!, target!, flags);
        const [{ copyDatabase }, { recheckStoredAddresses }, { ownerIsDead }] = await Promise.all([
          import('../db/copy.js'),
          import('../customers/recheck.js'),
          import('../campaigns/lease.js'),
        ]);
        // Ctrl-C (or the parent's death) stops the copy at its next batch; it rolls back. Once:
        // a second Ctrl-C ends mkt at once (the target's transaction dies with it, uncommitted).
        const controller = new AbortController();
        const release = onInterrupt(() => {
          controller.abort();
          release();
        });
        const answerWithinMs = copyAnswerMs(ctx.io.env);
        const connectMs = connectWithinMs(ctx.io.env);
        try {
          const r = await copyDatabase(o.source, o.target, {
            cwd: ctx.deps.cwd,
            ...(answerWithinMs ? { answerWithinMs } : {}),
            ...(connectMs ? { connectWithinMs: connectMs } : {}),
            replace: o.replace,
            recheck: recheckStoredAddresses,
            guards: {
              now: () => ctx.now().getTime(),
              workerTtlMs: workerTtlMs(ctx.io.env),
              isDead: ownerIsDead,
              signal: controller.signal,
              confirmReplace: (present, name) =>
                confirmOrRefuse(ctx, o.yes, `Replace what ${name} holds? ${heldText(present)} will be deleted`, 'replacing what the target holds').catch((e: unknown) => {
                  // Ctrl-C at the question (the prompt reads it as a key, not a signal): an interrupted copy
                  if ((e as Error | undefined)?.name !== 'ExitPromptError') throw e;
                  controller.abort();
                }),
            },
          });
          ctx.result(r, (v) => `copied ${v.total} rows from ${v.source} to ${v.target}${v.replaced ? ' (its previous rows deleted)' : ''}:\n${renderFields(Object.entries(v.tables))}`);
          if (r.source_marked_moved) {
            ctx.info(`${r.source} is now marked as moved to ${r.target}: commands that write to it or send from it refuse (exit 78, store_moved); point them at the new store with MKT_DB or --db`);
          }
        } finally {
          release();
        }
      }),
    );

  group
    .command('replay-spool')
    .description('replay into this PostgreSQL store (MKT_DB or --db) what a stopped mkt serve spooled beside an SQLite file after db copy moved the file here')
    .argument('<file>', 'the moved SQLite file the server ran on (its spools sit beside it)')
    .action(
      action(async (ctx, [file]) => {
        const o = parseReplaySpoolOptions(file!, ctx.deps.cwd);
        if (ctx.dbTarget.kind !== 'postgres') {
          throw new UsageError(`db replay-spool replays into the PostgreSQL database ${o.file} was moved to; this store is ${ctx.dbPath}`, { code: 'replay_target', hint: 'set MKT_DB (or --db) to that postgres:// URL' });
        }
        const url = ctx.dbTarget.url;
        // opened as to read: a write-mode open would replay the workspace file's spools first,
        // and this command's count is of what it replays itself (the writes below are the replay)
        const repos = await ctx.repositories('read');
        const [{ replayMovedSpools }, { hasSpools }] = await Promise.all([import('../compliance/serve-replay.js'), import('../compliance/serve-spool.js')]);
        const r = await replayMovedSpools(repos.tracking, url, o.file, (line) => ctx.debug(line));
        if ('live' in r) throw new UsageError(`${o.file} is not marked moved: what mkt serve spooled beside it belongs to it, and the next command writing to it replays it`, { code: 'spool_not_moved' });
        if ('waitFor' in r) throw new UsageError(`${o.file} was moved to ${r.waitFor}, not to ${ctx.dbPath}: its spools belong there`, { code: 'replay_target', hint: `set MKT_DB (or --db) to ${r.waitFor} (with its user and password)` });
        ctx.result({ file: o.file, target: ctx.dbPath, applied: r.applied }, (v) => `replayed ${v.applied} spooled record(s) from beside ${v.file} into ${v.target}\n`);
        // a server still running keeps its spool (it is its own until it stops)
        if (hasSpools(o.file)) ctx.warn(`spooled records stay beside ${o.file} (a mkt serve still running keeps its own, or the database refused: -v says): stop that server, then run this again`);
      }),
    );
}

/** What `db replay-spool` was asked to do. */
export interface ReplaySpoolCommandOptions {
  /** The moved SQLite file, absolute. */
  file: string;
}

/** Flags → options, without running anything. */
export function parseReplaySpoolOptions(file: string, cwd: string): ReplaySpoolCommandOptions {
  return { file: path.resolve(cwd, file) };
}

interface CopyFlags {
  replace?: boolean;
  yes?: boolean;
}

/** What `db copy` was asked to do. */
export interface CopyCommandOptions {
  source: string;
  target: string;
  replace: boolean;
  yes: boolean;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseCopyOptions(source: string, target: string, flags: CopyFlags): CopyCommandOptions {
  return { source, target, replace: Boolean(flags.replace), yes: Boolean(flags.yes) };
}

/** The rows a replace deletes, as the question shows them: the ones that matter most first. */
export function heldText(present: Record<string, number>): string {
  const n = (t: string) => present[t] ?? 0;
  return [
    `${n('campaigns')} campaign(s)`,
    `${n('campaign_recipients')} ledger row(s)`,
    `${n('suppressions')} suppression(s)`,
    `${n('forgotten_addresses')} forgotten address(es)`,
    `${n('customers')} customer(s)`,
  ].join(', ');
}
