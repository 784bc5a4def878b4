/**
 * How a --db / MKT_DB value becomes a store: a file path, a postgres:// URL, or a usage error
 * (64) that never shows the value. Property-tested: for any password and any scheme that is
 * not postgres:// or postgresql://, the refusal names the accepted schemes and holds no part
 * of the password.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MktError } from '../../../src/errors.js';
import { parseDbTarget } from '../../../src/db/target.js';

/** What a refusal shows a person: message, hint and details. */
function shown(fn: () => unknown): { error: MktError; text: string } {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof MktError)) throw e;
    return { error: e, text: JSON.stringify(e.toJSON()) + e.message };
  }
  throw new Error('expected a refusal');
}

// a letter and a digit: so no password is an ordinary word of the message itself
const password = fc.string({ unit: 'grapheme-ascii', minLength: 4, maxLength: 24 }).filter((p) => !/[@/?#\s]/.test(p) && /[A-Za-z]/.test(p) && /[0-9]/.test(p));
const scheme = fc.stringMatching(/^[a-z][a-z0-9+.-]{0,9}$/).filter((s) => !/^postgres(ql)?$/i.test(s));

describe('parseDbTarget', () => {
  it('refuses any other scheme:// as a usage error naming the accepted schemes, without the password', () => {
    fc.assert(
      fc.property(scheme, password, fc.constantFrom('', ' ', '\t', '\n '), (s, pw, pad) => {
        const { error, text } = shown(() => parseDbTarget(`${pad}${s}://owner:${pw}@db.example:5432/mkt${pad}`, '/tmp/ws'));
        expect(error.category).toBe('usage');
        expect(error.code).toBe('db_scheme');
        expect(text).toContain('postgres://');
        expect(text).toContain('postgresql://');
        expect(text).not.toContain(pw);
        expect(text).not.toContain(encodeURIComponent(pw));
      }),
    );
  });

  it('names the walkthrough typos (postgress://, pg://) as refused', () => {
    for (const v of ['postgress://u:secret@h/db', 'pg://u:secretpw@h/db', 'POSTGRESS://u:secret@h/db']) {
      expect(shown(() => parseDbTarget(v, '/tmp/ws')).error.code).toBe('db_scheme');
    }
  });

  it('trims surrounding whitespace: a pasted " postgres://…" is the URL, a padded path the path', () => {
    expect(parseDbTarget(' postgres://u:pw@h/db\n', '/tmp/ws')).toEqual({ kind: 'postgres', url: 'postgres://u:pw@h/db' });
    expect(parseDbTarget('\tpostgresql://h/db ', '/tmp/ws')).toEqual({ kind: 'postgres', url: 'postgresql://h/db' });
    expect(parseDbTarget('  data/mkt.db ', '/tmp/ws')).toEqual({ kind: 'sqlite', path: '/tmp/ws/data/mkt.db' });
  });

  it('keeps file paths (no scheme://) as SQLite files', () => {
    expect(parseDbTarget('mkt.db', '/tmp/ws')).toEqual({ kind: 'sqlite', path: '/tmp/ws/mkt.db' });
    expect(parseDbTarget('/abs/x:y.db', '/tmp/ws')).toEqual({ kind: 'sqlite', path: '/abs/x:y.db' });
    expect(parseDbTarget('c:/data/mkt.db', '/tmp/ws').kind).toBe('sqlite');
  });

  it('refuses a password with an unencoded @ / ? # (an "@" after the host part) before connecting, without echoing it', () => {
    const unsafe = fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 8 });
    fc.assert(
      fc.property(unsafe, fc.constantFrom('/', '?', '#'), unsafe, (a, sep, b) => {
        const pw = `S3cret${a}@x${sep}${b}9`;
        const { error, text } = shown(() => parseDbTarget(`postgres://owner:${pw}@127.0.0.1:5432/db`, '/tmp/ws'));
        expect(error.category).toBe('usage');
        expect(error.code).toBe('db_url_unencoded');
        expect(text).toContain('%40');
        expect(text).not.toContain('S3cret');
      }),
    );
    const { text } = shown(() => parseDbTarget('postgres://owner:S3cret:p@ss/w%rd@127.0.0.1:5432/db', '/tmp/ws'));
    expect(text).not.toMatch(/S3cret|p@ss|w%rd/);
    // the same password percent-encoded is fine
    expect(parseDbTarget(`postgres://owner:${encodeURIComponent('S3cret:p@ss/w%rd')}@127.0.0.1:5432/db`, '/tmp/ws').kind).toBe('postgres');
  });
});
