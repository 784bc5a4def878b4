/**
 * The connection string's password in driver errors (src/db/pg/errors.ts over
 * src/util/redact.ts). The rule: the whole connection string is cut first, then its
 * `user:password@` form, then the bare password wherever it stands alone (no letter or digit
 * touching it), and anywhere once it is 12 characters or more. So a short password is never
 * shown, and never "found" inside an ordinary word either (`unex***ectedly` would show it).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { driverMessage } from '../../../src/db/pg/errors.js';
import { STANDALONE_ANYWHERE_LENGTH } from '../../../src/util/redact.js';

/** Messages node-postgres and the server really give, none holding a password. */
const DRIVER_MESSAGES = [
  'Connection terminated unexpectedly',
  'Connection terminated due to connection timeout',
  'password authentication failed for user "owner"',
  'database "mkt" does not exist',
  'the database system is starting up',
  'terminating connection due to administrator command',
  'SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a string',
  'connect ECONNREFUSED 127.0.0.1:5432',
  'getaddrinfo ENOTFOUND db.internal',
];
const URL_OF = (user: string, pw: string) => `postgres://${encodeURIComponent(user)}:${encodeURIComponent(pw)}@db.internal:5432/mkt`;
const standalone = (text: string, pw: string) => new RegExp(`(?<![A-Za-z0-9])${pw.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![A-Za-z0-9])`, 'i').test(text);

describe('driverMessage', () => {
  it('leaves ordinary words alone: a short password inside a word is not cut out', () => {
    const word = fc.stringMatching(/^[A-Za-z]{1,11}$/).filter((pw) => DRIVER_MESSAGES.every((m) => !standalone(m, pw)));
    fc.assert(
      fc.property(word, fc.constantFrom(...DRIVER_MESSAGES), (pw, message) => {
        expect(driverMessage(new Error(message), URL_OF('owner', pw))).toBe(message);
      }),
    );
    // the walkthrough's case
    expect(driverMessage(new Error('Connection terminated unexpectedly'), URL_OF('owner', 'p'))).toBe('Connection terminated unexpectedly');
  });

  it('for any password, no driver message shows it: not the URL, not user:password@, not standing alone', () => {
    const pw = fc.string({ minLength: 1, maxLength: 30 }).filter((p) => !p.includes('*'));
    const user = fc.stringMatching(/^[a-z_]{1,10}$/);
    fc.assert(
      fc.property(user, pw, fc.constantFrom(...DRIVER_MESSAGES), fc.integer({ min: 0, max: 3 }), (u, p, base, shape) => {
        const url = URL_OF(u, p);
        const leaked = [`${base}: ${url}`, `${base} for ${u}:${p}@db.internal`, `${base} (password ${p})`, `${p}`][shape]!;
        const out = driverMessage(new Error(leaked), url);
        expect(out).not.toContain(url);
        expect(out).not.toContain(`:${p}@`);
        expect(out).not.toContain(`:${encodeURIComponent(p)}@`);
        expect(standalone(out, p)).toBe(false);
        if (p.length >= STANDALONE_ANYWHERE_LENGTH) expect(out.toLowerCase()).not.toContain(p.toLowerCase());
      }),
    );
  });
});
