/**
 * The one place that knows how the store says "another process holds the lock": SQLite
 * raises SQLITE_BUSY (or SQLITE_LOCKED) once busy_timeout has passed, and the statement has
 * rolled back, so nothing changed. Callers decide what that means (a resumable stop, a retry);
 * a PostgreSQL store will add its lock-timeout codes here.
 */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

/** A small write, retried a few times while another process holds the lock (then thrown). */
export async function whenFree<T>(write: () => T, tries = 4, waitMs = 500): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return write();
    } catch (e) {
      if (i >= tries || !isBusy(e)) throw e;
      await new Promise((r) => setTimeout(r, waitMs));
    }
  }
}
