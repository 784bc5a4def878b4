/**
 * Telling a lost database connection apart from a refused statement (PostgreSQL). Kept outside
 * src/db/pg/ so that the storage-fault mapping (faults.ts), which every SQLite run loads, does not
 * load the PostgreSQL store's modules.
 */
/** SQLSTATE classes and socket codes of a lost or refused connection (a restart, a failover). */
const CONNECTION_CODES = new Set(['57P01', '57P02', '57P03', 'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);

/**
 * True when the server went away or refused the connection, rather than refused the statement:
 * retrying on a fresh connection may work. 57P01 admin_shutdown (a restart), 57P02 crash
 * shutdown, 57P03 cannot_connect_now (starting up), class 08 (connection exception), and the
 * socket errors; `pg` reports a socket closed mid-query as "Connection terminated …" with no code.
 */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown[] } | null;
  if (!e) return false;
  if (typeof e.code === 'string' && (CONNECTION_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  if (Array.isArray(e.errors) && e.errors.some(isConnectionError)) return true;
  return typeof e.message === 'string' && /Connection terminated|connection timeout|Client has encountered a connection error/i.test(e.message);
}
