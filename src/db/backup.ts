/**
 * `mkt db backup FILE`: a consistent copy of the live database, safe while a send runs,
 * verified (integrity_check) before it takes the target's name, private (0600), and never
 * over an existing file unless asked.
 */
import { chmodSync, closeSync, existsSync, linkSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, InputError, UsageError } from '../errors.js';
import { fileError } from '../util/private-file.js';
import { backupTo, checkIntegrity } from './maintenance.js';

export interface BackupOptions {
  source: string;
  target: string;
  force?: boolean;
}

export interface BackupResult {
  source: string;
  file: string;
  bytes: number;
  pages: number;
  integrity: 'ok';
  mode: '0600';
}

const exists = (target: string) => new UsageError(`${target} already exists`, { code: 'backup_exists', hint: 'pick a new file name, or pass --force to replace it' });

export async function backupDatabase(opts: BackupOptions): Promise<BackupResult> {
  const source = path.resolve(opts.source);
  const target = path.resolve(opts.target);
  if (!existsSync(source)) {
    throw new ConfigError('db_missing', `no database at ${source}`, { hint: 'check --workspace, --db or MKT_DB; a workspace gets its database on first use' });
  }
  if (source === target) throw new UsageError('the backup file is the database itself', { code: 'backup_same_file' });
  if (existsSync(target) && !opts.force) {
    throw exists(target);
  }
  // Written beside the target under a temporary name, so a failed or corrupt copy never takes
  // its name; created 0600 before SQLite writes a byte (the copy holds customer data).
  const tmp = `${target}.tmp-${process.pid}-${Date.now()}`;
  try {
    closeSync(openSync(tmp, 'wx', 0o600));
  } catch (cause) {
    // the same typed errors as every file mkt writes: a missing folder is 73, a full disk 74
    throw fileError(cause, target);
  }
  try {
    const { pages } = await backupTo(source, tmp);
    const problems = checkIntegrity(tmp, true);
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new InputError('backup_integrity', `the copy of ${source} failed its integrity check: ${problems.slice(0, 3).join('; ')}`, {
        hint: 'the database itself may be damaged: run `mkt doctor`',
        details: { problems: problems.slice(0, 20) },
      });
    }
    chmodSync(tmp, 0o600);
    place(tmp, target, Boolean(opts.force));
    return { source, file: target, bytes: statSync(target).size, pages, integrity: 'ok', mode: '0600' };
  } finally {
    rmSync(tmp, { force: true });
    rmSync(`${tmp}-journal`, { force: true });
  }
}

/** Gives the verified copy its name: a hard link cannot replace a file that appeared meanwhile. */
function place(tmp: string, target: string, force: boolean): void {
  if (force) {
    renameSync(tmp, target);
    return;
  }
  try {
    linkSync(tmp, target);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw exists(target);
    // file systems without hard links: check, then rename
    if (existsSync(target)) throw exists(target);
    renameSync(tmp, target);
  }
}
