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
  registerSecret(urlPassword(value));
  if (!isPostgresUrl(value)) {
    throw new UsageError(`--db / MKT_DB: "${scheme}://" is not a store mkt can open; the accepted schemes are postgres:// and postgresql:// (the value is not shown: it may hold a password)`, {
      code: 'db_scheme',
      hint: 'write postgres://user:password@host:5432/dbname for PostgreSQL, or a file path (no scheme) for SQLite',
      details: { scheme },
    });
  }
  return { kind: 'postgres', url: value };
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
