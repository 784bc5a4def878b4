/**
 * Driver errors in a form that may be shown: the connection string and its password are cut
 * out (a driver may echo either), on top of the redactor's registered secrets. The error itself
 * is not kept as a `cause`: its fields (and a stack through pg's internals) would be printed by
 * --verbose and could carry the configuration.
 */
import { ConfigError, type MktError, UnavailableError } from '../../errors.js';
import { redact, registerSecret } from '../../util/redact.js';
import { isConnectTimeout, isPermissionDenied, isTooManyConnections, unavailableHint } from '../connection-errors.js';
import { permissionDenied } from '../faults.js';
import { redactUrl, urlPassword } from '../target.js';

export function driverMessage(error: unknown, url: string): string {
  const e = error as { message?: unknown; code?: unknown; errors?: Array<{ message?: unknown }> };
  // an AggregateError (every address of a host refused) has an empty message of its own
  let text = typeof e?.message === 'string' && e.message ? e.message : Array.isArray(e?.errors) ? e.errors.map((x) => String(x?.message)).join('; ') : String(error);
  if (typeof e?.code === 'string' && !text.includes(e.code)) text += ` (${e.code})`;
  // The order matters (README "PostgreSQL"): the whole connection string first, then its
  // `user:password@` form, then the bare password, which is cut only where it stands alone
  // (not inside a word) unless it is long: a short password such as `p` is part of ordinary
  // words, and `Connection terminated unex***ectedly` would give it away (src/util/redact.ts).
  text = text.split(url).join(redactUrl(url));
  const password = urlPassword(url);
  if (password) {
    for (const form of new Set([password, encodeURIComponent(password)])) text = text.split(`:${form}@`).join(':***@');
    registerSecret(password, { standalone: true });
  }
  return redact(text);
}


/**
 * node-postgres asked for the password the server wants and had none: not in the URL, no
 * PGPASSWORD, no matching ~/.pgpass line (it reads both when the URL has none). Its own words
 * ("SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string") name none of that.
 */
const NO_PASSWORD = /client password must be a (?:non-empty )?string|password must be a string/i;

/**
 * Why opening the store failed, typed: configuration the operator must change (78: no password
 * anywhere) or a server that cannot be reached, does not answer within `connectWithinMs`, or
 * refuses the login (69).
 */
export function openFailure(url: string, cause: unknown, opts: { connectWithinMs?: number } = {}): MktError {
  const where = redactUrl(url);
  if (opts.connectWithinMs !== undefined && isConnectTimeout(cause)) {
    return new UnavailableError('db_unreachable', `cannot open the PostgreSQL store ${where}: the server did not answer within ${opts.connectWithinMs / 1000} s`, {
      hint: 'check --db / MKT_DB (host, port) and that the server is running and a firewall lets its answers through; for a server that is up but slow to answer, raise MKT_DB_CONNECT_S (seconds; default 15)',
    });
  }
  const message = driverMessage(cause, url);
  if (NO_PASSWORD.test(message)) {
    return new ConfigError('db_no_password', `the PostgreSQL server at ${where} asks for a password and none was given`, {
      hint: 'give it in the URL (postgres://user:PASSWORD@host/db, percent-encoded: @ → %40, / → %2F, : → %3A), or set PGPASSWORD, or add a line host:port:database:user:password to ~/.pgpass (or the file PGPASSFILE names; mode 0600)',
    });
  }
  if (isPermissionDenied(cause)) return permissionDenied(`cannot open the PostgreSQL store ${where}: ${message}`);
  return new UnavailableError('db_unreachable', `cannot open the PostgreSQL store ${where}: ${message}`, {
    hint: isTooManyConnections(cause) ? unavailableHint(cause) : 'check --db / MKT_DB (host, port, database, user, password, sslmode) and that the server is running',
  });
}
