/**
 * Telling a lost database connection apart from a refused statement (PostgreSQL). Kept outside
 * src/db/pg/ so that the storage-fault mapping (faults.ts), which every SQLite run loads, does not
 * load the PostgreSQL store's modules.
 */
/** Socket codes of a lost or refused connection (a restart, a failover, a server down). */
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);

/**
 * SQLSTATEs of a server that cannot take this connection now, whatever the statement: class 08
 * (connection exception), class 53 (insufficient resources: 53300 too_many_connections, a role's
 * CONNECTION LIMIT, out of memory), 57P01 admin_shutdown (a restart), 57P02 crash_shutdown,
 * 57P03 cannot_connect_now (starting up) and the rest of 57P (the session was ended).
 */
const UNAVAILABLE_SQLSTATE = /^(?:08|53|57P)/;

/**
 * 55000 (object_not_in_prerequisite_state) is also what connecting to a database with
 * `ALLOW_CONNECTIONS false` answers; the same code raised by a statement is a refusal of that
 * statement, so only the connect-time message counts.
 */
const NOT_ACCEPTING = /is not currently accepting connections/i;

/**
 * True when the server went away or cannot take the connection now, rather than refused the
 * statement: retrying on a fresh connection may work (README "Several workers": the worker
 * pauses and retries within its window, then exits 69). `pg` reports a socket closed mid-query
 * as "Connection terminated …" with no code.
 */
export function isConnectionError(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown; errors?: unknown[]; cause?: unknown } | null;
  if (!e) return false;
  // drizzle wraps the driver's error ("Failed query: …") with the driver's error as its cause
  if (e.cause && e.cause !== e && isConnectionError(e.cause)) return true;
  if (typeof e.code === 'string' && (SOCKET_CODES.has(e.code) || UNAVAILABLE_SQLSTATE.test(e.code))) return true;
  if (e.code === '55000' && typeof e.message === 'string' && NOT_ACCEPTING.test(e.message)) return true;
  if (Array.isArray(e.errors) && e.errors.some(isConnectionError)) return true;
  return typeof e.message === 'string' && (/Connection terminated|Client has encountered a connection error/i.test(e.message) || isConnectTimeout(e));
}

/**
 * No connection within the pool's connectionTimeoutMillis (src/db/pg/open.ts): a new one not
 * ready in time, or none free in a full pool, in pg-pool's words.
 */
export function isConnectTimeout(error: unknown): boolean {
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' && /connection timeout|timeout exceeded when trying to connect/i.test(message);
}

/** 53300 too_many_connections (the server's max_connections or the role's CONNECTION LIMIT), by error or by its text. */
export function isTooManyConnections(error: unknown): boolean {
  if (typeof error === 'string') return /too many connections|remaining connection slots are reserved|\(53300\)/i.test(error);
  const e = error as { code?: unknown; message?: unknown; errors?: unknown[]; cause?: unknown } | null;
  if (!e) return false;
  if (e.code === '53300') return true;
  if (e.cause && e.cause !== e && isTooManyConnections(e.cause)) return true;
  if (Array.isArray(e.errors) && e.errors.some(isTooManyConnections)) return true;
  return typeof e.message === 'string' && isTooManyConnections(e.message);
}

/** What a worker says when it pauses on a connection error: the real cause when it is a refusal for too many connections. */
export function connectionLostNotice(error: unknown): string {
  return isTooManyConnections(error)
    ? 'PostgreSQL refused a new connection: too many connections (53300); pausing and retrying'
    : 'lost the connection to PostgreSQL; pausing and retrying';
}

/** The fix for a store that stayed unavailable past the retry window (exit 69), by its cause. */
export function unavailableHint(cause: unknown): string {
  if (isTooManyConnections(cause)) {
    return 'PostgreSQL refused the connection: too many connections for the server (max_connections) or the role (CONNECTION LIMIT). Each mkt process opens up to its send concurrency + 4 connections (README "Pool size"): lower --concurrency or the number of workers, or raise the limit; nothing was sent twice';
  }
  return 'nothing was sent twice; run the send again once PostgreSQL answers (rows that were in flight become "unknown")';
}

/** 42501 insufficient_privilege: this role may not read, write or change that table or schema. */
export function isPermissionDenied(error: unknown): boolean {
  const e = error as { code?: unknown; errors?: unknown[]; cause?: unknown } | null;
  if (!e) return false;
  return e.code === '42501' || (Array.isArray(e.errors) && e.errors.some(isPermissionDenied)) || (e.cause !== undefined && e.cause !== e && isPermissionDenied(e.cause));
}

/**
 * The fix for a 42501 (a configuration error, 78): which role does what is README "A
 * least-privilege role": the owner migrates and copies, the runtime role reads and writes rows.
 */
export const PERMISSION_HINT =
  'the role in --db / MKT_DB lacks a grant: run `mkt db migrate` and `mkt db copy` as the owner role (it owns the tables), and give the runtime role the grants in README "A least-privilege role"';
