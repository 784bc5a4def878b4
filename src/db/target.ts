/**
 * Which store `--db` / MKT_DB names: a file path (SQLite, the default) or a `postgres://` /
 * `postgresql://` connection string. The connection string's password is a secret: it is
 * registered with the redactor the moment the string is parsed, and `describeTarget` is the
 * only form of the target that goes into a message.
 */
import path from 'node:path';
import { UsageError } from '../errors.js';
import { registerSecret } from '../util/redact.js';

export type DbTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

export function isPostgresUrl(value: string): boolean {
  return POSTGRES_URL.test(value);
}

/** Any `scheme://` (RFC 3986 scheme syntax): a value shaped like a URL is never a file path. */
const ANY_URL = /^([a-z][a-z0-9+.-]*):\/\//i;

/**
 * A `--db` value as a target; a file path is resolved against `cwd`. Surrounding whitespace is
 * trimmed (a pasted ` postgres://…` is the URL, not a file named like it). A value with any
 * other `scheme://` is refused (64) before anything is created: taken as a path, a mistyped
 * `postgress://u:pw@h/db` became a folder named after the URL, password included, holding a
 * new SQLite database. The message names only the scheme, never the value.
 */
export function parseDbTarget(raw: string, cwd: string): DbTarget {
  const value = raw.trim();
  const scheme = ANY_URL.exec(value)?.[1];
  if (scheme === undefined) return { kind: 'sqlite', path: path.resolve(cwd, value) };
  registerSecret(urlPassword(value), { standalone: true });
  if (!isPostgresUrl(value)) {
    throw new UsageError(`--db / MKT_DB: "${scheme}://" is not a store mkt can open; the accepted schemes are postgres:// and postgresql:// (the value is not shown: it may hold a password)`, {
      code: 'db_scheme',
      hint: 'write postgres://user:password@host:5432/dbname for PostgreSQL, or a file path (no scheme) for SQLite',
      details: { scheme },
    });
  }
  checkEncoded(value);
  return { kind: 'postgres', url: value };
}

/**
 * The authority (`user:password@host:port`) ends at the first `/`, `?` or `#`, so an `@` after
 * that point can only be a character of the password (or user) that was not percent-encoded:
 * `postgres://owner:S3cret:p@ss/w%rd@host/db` would log in to host `ss` with the password cut
 * short, and its error would show the rest. Refused before connecting, without the value.
 */
function checkEncoded(url: string): void {
  const rest = url.slice(url.indexOf('://') + 3);
  const end = rest.search(/[/?#]/);
  const unencoded = end >= 0 && rest.slice(end).includes('@');
  let parses = true;
  try {
    new URL(url);
  } catch {
    parses = false;
  }
  if (!unencoded && parses) return;
  throw new UsageError(
    unencoded
      ? '--db / MKT_DB: the PostgreSQL connection string has an "@" after its host part, so a character of the password (or user name) is not percent-encoded (the value is not shown)'
      : '--db / MKT_DB: the PostgreSQL connection string is not a valid URL (the value is not shown: it may hold a password)',
    {
      code: 'db_url_unencoded',
      hint: 'percent-encode the user name and password: @ → %40, / → %2F, : → %3A, ? → %3F, # → %23, % → %25 (encodeURIComponent does it), or leave the password out of the URL and set PGPASSWORD',
    },
  );
}

/** The password of a connection string, decoded (what the driver sends), if it has one. */
export function urlPassword(url: string): string | undefined {
  try {
    const p = new URL(url).password;
    return p ? decodeURIComponent(p) : undefined;
  } catch {
    // not parsable as a URL: the part between "user:" and "@" is the password
    return /^[a-z]+:\/\/[^:/@]*:([^@]*)@/i.exec(url)?.[1];
  }
}

/** The connection string with its password replaced by `***`: the form messages may show. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z]+:\/\/[^:/@]*:)[^@]*@/i, '$1***@');
}

/** The target as a person reads it: the file path, or the redacted connection string. */
export function describeTarget(target: DbTarget): string {
  return target.kind === 'sqlite' ? target.path : redactUrl(target.url);
}
