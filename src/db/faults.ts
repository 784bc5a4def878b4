/**
 * The one place that turns a SQLite failure (its result code) into a typed error with an honest exit code. A corrupt ledger must
 * never look resumable (75: the README's CI example treats that as success) nor like a bug (1).
 */
import Database from 'better-sqlite3';
import { isConnectionError, isPermissionDenied, PERMISSION_HINT, unavailableHint } from './connection-errors.js';
import { ConfigError, MktError, ResumableStop, StorageIoError, UnavailableError } from '../errors.js';

export type StorageFault = 'locked' | 'corrupt' | 'full' | 'io' | 'readonly' | 'cantopen';

/** The machine code each fault carries (error codes, ledger stop codes, pause reasons). */
export const FAULT_CODES: Record<StorageFault, string> = {
  locked: 'database_locked',
  corrupt: 'database_corrupt',
  full: 'disk_full',
  io: 'io_error',
  readonly: 'database_readonly',
  cantopen: 'database_unopenable',
};

/** SQLite extended codes keep their primary code as a prefix (SQLITE_IOERR_WRITE, SQLITE_CORRUPT_INDEX). */
export function storageFault(error: unknown): StorageFault | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return undefined;
  if (!code.startsWith('SQLITE_')) return undefined;
  switch (code.split('_').slice(0, 2).join('_')) {
    case 'SQLITE_BUSY':
    case 'SQLITE_LOCKED':
      return 'locked';
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return 'corrupt';
    case 'SQLITE_FULL': // SQLite's name for ENOSPC (and for PRAGMA max_page_count reached)
      return 'full';
    case 'SQLITE_IOERR':
      return 'io';
    case 'SQLITE_READONLY':
      return 'readonly';
    case 'SQLITE_CANTOPEN':
      return 'cantopen';
    default:
      return undefined;
  }
}

/** The code of a PostgreSQL refusal for want of a grant (42501), as error code and stop code. */
export const PERMISSION_DENIED = 'db_permission_denied';

/** The typed error of a PostgreSQL role without the grant a statement needs: a configuration error (78). */
export function permissionDenied(message: string): ConfigError {
  return new ConfigError(PERMISSION_DENIED, `PostgreSQL refused: ${message}`, { hint: PERMISSION_HINT });
}

/** The code a ledger write that failed stops with (dispatcher → send → pause reason). */
export function storageFaultCode(error: unknown): string {
  // PostgreSQL gone past the ledger's retry window (a restart that did not come back)
  if (isConnectionError(error)) return 'db_unreachable';
  if (isPermissionDenied(error)) return PERMISSION_DENIED;
  const fault = storageFault(error);
  return fault ? FAULT_CODES[fault] : 'database_error';
}

/** The fault a stop code names (the inverse of FAULT_CODES). */
export function faultOfCode(code: string | undefined): StorageFault | undefined {
  return (Object.keys(FAULT_CODES) as StorageFault[]).find((f) => FAULT_CODES[f] === code);
}

/** Up to `n` lines of `PRAGMA integrity_check`, read on a separate read-only connection. */
export function integrityExcerpt(file: string, n = 5): string[] {
  if (file === ':memory:') return [];
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    return (db.pragma(`integrity_check(${n})`) as Array<{ integrity_check: string }>).map((r) => r.integrity_check);
  } catch (e) {
    return [(e as Error).message];
  } finally {
    db?.close();
  }
}

/** The typed error of a fault, by code (as the dispatcher reports it) or by the raw error. */
export function faultError(fault: StorageFault, file: string, message: string, cause?: unknown): MktError {
  const code = FAULT_CODES[fault];
  const details = { storage: true, path: file };
  switch (fault) {
    case 'locked':
      return new ResumableStop(code, 'the database is locked by another process; nothing was changed', {
        cause,
        hint: 'wait for the other mkt process (or tool) to finish, then run the command again',
      });
    case 'corrupt': {
      const excerpt = integrityExcerpt(file);
      return new ConfigError(code, `the database is corrupt: restore a backup (${file})` + (excerpt.length ? `\n  integrity_check: ${excerpt.join('\n  integrity_check: ')}` : ''), {
        cause,
        hint: `restore ${file} from a backup; do not send from it (its ledger cannot be trusted)`,
        details: { ...details, integrity_check: excerpt, sqlite: message },
      });
    }
    case 'full':
      return new StorageIoError(code, `the disk is full: cannot write ${file} (${message})`, {
        cause,
        hint: 'free space on that disk (or raise the file-size limit), then run the command again',
        details,
      });
    case 'io':
      return new StorageIoError(code, `I/O error on ${file}: ${message}`, { cause, hint: 'check the disk and the file system it lives on', details });
    case 'readonly':
      return new ConfigError(code, `the database ${file} is read-only: ${message}`, {
        cause,
        hint: `make ${file} and its folder writable by this user (e.g. chmod u+w, and for WAL the -wal/-shm files too), or pass --db to a writable copy`,
        details,
      });
    case 'cantopen':
      return new ConfigError(code, `cannot open the database ${file}: ${message}`, { cause, hint: 'check --db / MKT_DB and the folder permissions', details });
  }
}

/** A typed error for a raw storage failure, or undefined when `error` is not one. */
export function storageError(error: unknown, file: string): MktError | undefined {
  if (error instanceof MktError) return undefined;
  // PostgreSQL (the driver's errors carry SQLSTATEs, never SQLITE_ codes): a role without a
  // grant is configuration (78), a server gone or refusing connections is unavailable (69)
  if (isPermissionDenied(error)) return permissionDenied((error as Error).message);
  if (isConnectionError(error)) return new UnavailableError('db_unreachable', `PostgreSQL is unavailable: ${(error as Error).message}`, { hint: unavailableHint(error) });
  const fault = storageFault(error);
  return fault ? faultError(fault, file, (error as Error).message, error) : undefined;
}

/** Whether a typed error came from here (it outranks per-campaign outcomes in `send --due`). */
export function isStorageFault(error: MktError): boolean {
  return error.details?.storage === true && error.code !== FAULT_CODES.locked;
}

/**
 * Another process holds the lock (SQLITE_BUSY / SQLITE_LOCKED once busy_timeout has passed):
 * the statement rolled back and nothing changed. The one test for it; a PostgreSQL store will
 * add its lock-timeout codes to storageFault.
 */
export function isBusy(error: unknown): boolean {
  return storageFault(error) === 'locked';
}

/** A small write, retried a few times while another process holds the lock (then thrown). */
export async function whenFree<T>(write: () => T | Promise<T>, tries = 4, waitMs = 500): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      // awaited here, so a write through the asynchronous repositories is retried too
      return await write();
    } catch (e) {
      if (i >= tries || !isBusy(e)) throw e;
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}
