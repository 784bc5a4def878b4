/**
 * Which store `--db` / MKT_DB names: a file path (SQLite, the default) or a `postgres://` /
 * `postgresql://` connection string. The connection string's password is a secret: it is
 * registered with the redactor the moment the string is parsed, and `describeTarget` is the
 * only form of the target that goes into a message.
 */
import path from 'node:path';
import { registerSecret } from '../util/redact.js';

export type DbTarget = { kind: 'sqlite'; path: string } | { kind: 'postgres'; url: string };

const POSTGRES_URL = /^postgres(?:ql)?:\/\//i;

export function isPostgresUrl(value: string): boolean {
  return POSTGRES_URL.test(value);
}

/** A `--db` value as a target; a file path is resolved against `cwd`. */
export function parseDbTarget(value: string, cwd: string): DbTarget {
  if (!isPostgresUrl(value)) return { kind: 'sqlite', path: path.resolve(cwd, value) };
  registerSecret(urlPassword(value));
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
