/**
 * Driver errors in a form that may be shown: the connection string and its password are cut
 * out (a driver may echo either), on top of the redactor's registered secrets. The error itself
 * is not kept as a `cause`: its fields (and a stack through pg's internals) would be printed by
 * --verbose and could carry the configuration.
 */
import { redact, registerSecret } from '../../util/redact.js';
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

