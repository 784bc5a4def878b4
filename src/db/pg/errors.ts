/**
 * Driver errors in a form that may be shown: the connection string and its password are cut
 * out (a driver may echo either), on top of the redactor's registered secrets. The error itself
 * is not kept as a `cause`: its fields (and a stack through pg's internals) would be printed by
 * --verbose and could carry the configuration.
 */
import { redact } from '../../util/redact.js';
import { redactUrl, urlPassword } from '../target.js';

export function driverMessage(error: unknown, url: string): string {
  const e = error as { message?: unknown; code?: unknown; errors?: Array<{ message?: unknown }> };
  // an AggregateError (every address of a host refused) has an empty message of its own
  let text = typeof e?.message === 'string' && e.message ? e.message : Array.isArray(e?.errors) ? e.errors.map((x) => String(x?.message)).join('; ') : String(error);
  if (typeof e?.code === 'string' && !text.includes(e.code)) text += ` (${e.code})`;
  text = text.split(url).join(redactUrl(url));
  const password = urlPassword(url);
  if (password) text = text.split(password).join('***');
  return redact(text);
}

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
