/**
 * Read-only looks at a database file and its online backup. Unlike openStore, nothing here
 * creates a file or runs migrations: doctor, backup and shell completion must not create state.
 */
import Database from 'better-sqlite3';

/**
 * Opens an existing database (throws if the file does not exist or is not SQLite) for reading
 * only. Not with `readonly`: a read-only connection to a WAL database creates -wal and -shm
 * files it can never remove, while this one removes them on close when it is the last one.
 */
function openExisting(file: string): Database.Database {
  return new Database(file, { fileMustExist: true });
}

/**
 * PRAGMA quick_check (`full`: integrity_check, which also checks index contents): ['ok'] when
 * healthy, else SQLite's problem lines.
 */
export function checkIntegrity(file: string, full = false): string[] {
  const db = openExisting(file);
  try {
    const rows = db.pragma(full ? 'integrity_check' : 'quick_check') as Array<Record<string, string>>;
    return rows.map((r) => Object.values(r)[0] ?? '');
  } finally {
    db.close();
  }
}

/** Campaign names, for shell completion; [] when there is no database or no campaigns table yet. */
export function campaignNames(file: string): string[] {
  let db: Database.Database | undefined;
  try {
    db = openExisting(file);
    return (db.prepare('SELECT name FROM campaigns ORDER BY name').all() as Array<{ name: string }>).map((r) => r.name);
  } catch {
    return [];
  } finally {
    db?.close();
  }
}

/**
 * Copies `source` to `target` with SQLite's online backup API: a consistent snapshot while
 * other connections keep writing (a WAL reader never blocks the sender). After the first step
 * the rest is copied in one step (the progress callback asks for every page; 0 would pause
 * it), so a busy writer cannot keep restarting it.
 * The copy is switched to a rollback journal so it is one self-contained file.
 */
export async function backupTo(source: string, target: string): Promise<{ pages: number }> {
  const db = openExisting(source);
  let pages = 0;
  try {
    const r = await db.backup(target, {
      progress: ({ totalPages }) => {
        pages = totalPages;
        return Math.max(totalPages, 100);
      },
    });
    pages = r.totalPages;
  } finally {
    db.close();
  }
  const copy = new Database(target, { fileMustExist: true });
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  return { pages };
}
