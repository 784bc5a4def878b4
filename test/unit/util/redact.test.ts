/**
 * Redaction catches a secret in the forms it takes on its way into a message, not only
 * verbatim: a hostname lower-cases it (ENOTFOUND), a URL or form body percent-encodes it, an
 * auth header base64-encodes it, alone or after a user name.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { redact, registerSecret, SecretRedactor } from '../../../src/util/redact.js';

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const b64url = (s: string) => Buffer.from(s, 'utf8').toString('base64url');
const form = (s: string) => new URLSearchParams([['', s]]).toString().slice(1);

/** The transformations a secret goes through in practice (name → function). */
const TRANSFORMS: Record<string, (s: string, prefix: string) => string> = {
  verbatim: (s) => s,
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  encodeURIComponent: (s) => encodeURIComponent(s),
  'encodeURIComponent, then lower-cased (hex digits too)': (s) => encodeURIComponent(s).toLowerCase(),
  'form encoding': (s) => form(s),
  'lower-cased, then form encoding': (s) => form(s.toLowerCase()),
  base64: (s) => b64(s),
  'base64 url-safe': (s) => b64url(s),
  'base64 of user:secret (any alignment)': (s, prefix) => b64(`${prefix}:${s}`),
  'base64url of a prefix + secret': (s, prefix) => b64url(prefix + s),
};

// '*' is what redaction writes: a secret made of it could reappear from the mask itself
const char = (unit: 'binary' | 'binary-ascii') => fc.string({ unit, minLength: 1, maxLength: 1 });
const unitArb = fc.oneof(fc.constantFrom(...'aZ09-_.~+/= %:@!İß'), char('binary-ascii'), char('binary'));
const secretArb = fc.string({ minLength: 6, maxLength: 40, unit: unitArb }).filter((s) => !s.includes('*') && s.length >= 6);
const textArb = fc.string({ maxLength: 30, unit: unitArb });
const encodable = (s: string) => {
  try {
    return encodeURIComponent(s) !== undefined;
  } catch {
    return false;
  }
};

describe('redact', () => {
  // the process's own redactor (what workspace/secrets.ts and the providers register with)
  it('replaces a registered secret and leaves ordinary text alone', () => {
    registerSecret('Sup3rSecretValue');
    expect(redact('token=Sup3rSecretValue; ok')).toBe('token=***; ok');
    expect(redact('getaddrinfo ENOTFOUND sup3rsecretvalue.example.com')).toBe('getaddrinfo ENOTFOUND ***.example.com');
    expect(redact('nothing to see here')).toBe('nothing to see here');
  });

  it('does not register very short values (they would redact ordinary words)', () => {
    const secrets = new SecretRedactor();
    secrets.register('abc');
    expect(secrets.redact('abc abcdef')).toBe('abc abcdef');
  });

  it('every transformation of a random secret is redacted from arbitrary surrounding text', () => {
    fc.assert(
      fc.property(secretArb, textArb, textArb, fc.string({ maxLength: 5 }), fc.constantFrom(...Object.keys(TRANSFORMS)), (secret, before, after, prefix, name) => {
        fc.pre(encodable(secret));
        const secrets = new SecretRedactor();
        secrets.register(secret);
        const leaked = TRANSFORMS[name]!(secret, prefix);
        const out = secrets.redact(before + leaked + after);
        expect(out).not.toContain(leaked);
        expect(out).toContain('***');
      }),
      { numRuns: 2000 },
    );
  });

  it('two secrets leaking side by side, overlapping forms included, leave no fragment', () => {
    fc.assert(
      fc.property(secretArb, secretArb, textArb, (a, b, between) => {
        fc.pre(encodable(b));
        const secrets = new SecretRedactor();
        secrets.register(a);
        secrets.register(b);
        const out = secrets.redact(`x ${a.toLowerCase()}${between}${encodeURIComponent(b)} ${b64(a + b)} y`);
        for (const leaked of [a.toLowerCase(), encodeURIComponent(b), b64(a + b)]) expect(out).not.toContain(leaked);
      }),
      { numRuns: 500 },
    );
  });
});
