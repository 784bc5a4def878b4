/**
 * The one canonical form of an address (src/customers/address.ts): every spelling of a mailbox
 * is one address, invisible and control characters are refused, and a phone number is stored
 * only when the max metadata calls it valid.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { domainToASCII, domainToUnicode } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asciiDigits, checkEmail, checkPhone, normaliseEmail, normalisePhone, parsePhone, phoneLibrary } from '../../../src/customers/address.js';

describe('email: one address, whatever its spelling', () => {
  it.each([
    'bob@bücher.example',
    'bob@xn--bcher-kva.example',
    'BOB@BÜCHER.EXAMPLE',
    'bob@bu\u0308cher.example', // decomposed ü
    ' Bob@XN--BCHER-KVA.example ',
    'bob@ｂücher.example', // full-width b folds (UTS #46)
  ])('%j is bob@xn--bcher-kva.example', (raw) => expect(normaliseEmail(raw)).toBe('bob@xn--bcher-kva.example'));

  it('composes the local part too', () => {
    expect(normaliseEmail('jo\u0308rg@x.example')).toBe(normaliseEmail('jörg@x.example'));
    expect(normaliseEmail('jörg@x.example')).toBe('j\u00f6rg@x.example');
  });

  it.each([
    ['ana\u0001@example.com', 'U+0001'],
    ['ana\u007f@example.com', 'U+007F'],
    ['ana\u0085@example.com', 'U+0085'],
    ['ana@exa\u0000mple.com', 'U+0000'],
    ['ana\r\nbcc@example.com', 'U+000D'],
    ['ana\u202e@example.com', 'U+202E'],
    ['ana@\u2066example.com', 'U+2066'],
    ['a\u200bna@example.com', 'U+200B'],
    ['a\u200dna@example.com', 'U+200D'],
    ['a\ufeffna@example.com', 'U+FEFF'],
    ['a\u2028na@example.com', 'U+2028'],
  ])('%j is refused, naming %s', (raw, cp) => {
    const r = checkEmail(raw);
    expect(r.address).toBeUndefined();
    expect(r.problem).toContain(cp);
  });

  it.each(['a@ex%41mple.com', 'a@xn--zz.com', 'a@bücher', 'a@b\u00fccher.exa mple'])('%j is not an address', (raw) => expect(normaliseEmail(raw)).toBeUndefined());

  const label = fc.stringMatching(/^[a-zäöüßéèçñøåæœ]{1,10}$/);
  // ß upper-cases to SS, which is another domain under IDNA2008: it is not a form of the same one
  const upper = (s: string) => [...s].map((c) => (c === 'ß' ? c : c.toUpperCase())).join('');
  const formsOf = (local: string, labels: string[]) => {
    const unicode = `${local}@${labels.join('.')}.example`;
    const canonical = normaliseEmail(unicode);
    return { unicode, canonical };
  };

  it('every form of an address has one canonical form, which is idempotent, ASCII in the domain and free of controls (property)', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-zäöüéñ0-9._+-]{1,12}$/), fc.array(label, { minLength: 1, maxLength: 3 }), (local, labels) => {
        const { unicode, canonical } = formsOf(local, labels);
        fc.pre(canonical !== undefined);
        const [l, d] = [canonical.slice(0, canonical.lastIndexOf('@')), canonical.slice(canonical.lastIndexOf('@') + 1)];
        expect(d).toMatch(/^[a-z0-9.-]+$/);
        expect(normaliseEmail(canonical)).toBe(canonical);
        for (const form of [upper(unicode), unicode.normalize('NFD'), `${l}@${domainToUnicode(d)}`, `${upper(l).normalize('NFD')}@${d.toUpperCase()}`, `\t${unicode} `]) {
          expect(normaliseEmail(form)).toBe(canonical);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('the printable-ASCII shortcut answers as the general steps do (property)', () => {
    // the general steps, as checkEmail takes them for any other text, with its own problem texts
    const general = (raw: string): string | undefined => {
      const email = raw.trim().normalize('NFC').toLowerCase().normalize('NFC');
      const at = email.lastIndexOf('@');
      if (at <= 0) return undefined;
      const [local, domain] = [email.slice(0, at), email.slice(at + 1)];
      if (!/^[^\s@."(),:;<>[\\\]]+(?:\.[^\s@."(),:;<>[\\\]]+)*$/u.test(local) || Buffer.byteLength(local) > 64) return undefined;
      if (!/^[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)+$/u.test(domain)) return undefined;
      const ascii = domainToASCII(domain);
      if (!ascii || ascii.length > 253 || !/^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/.test(ascii)) return undefined;
      const address = `${local}@${ascii}`;
      return Buffer.byteLength(address) > 254 ? undefined : address;
    };
    const ascii = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'aZ09._+-@"(),:;<>[]\\!#$%&*/=?^`{|}~'.split('')), maxLength: 30 }),
      fc.tuple(fc.stringMatching(/^[A-Za-z0-9._+-]{1,70}$/), fc.stringMatching(/^[A-Za-z0-9-]{1,70}(\.[A-Za-z]{2,6}){1,3}$/)).map(([l, d]) => `${l}@${d}`),
      // at the length limits: 64 octets before the @, 254 in all
      fc.tuple(fc.integer({ min: 62, max: 66 }), fc.integer({ min: 0, max: 4 }), fc.integer({ min: 4, max: 63 })).map(
        ([l, labels, last]) => `${'L'.repeat(l)}@${Array.from({ length: labels }, () => 'd'.repeat(60)).join('.')}${labels ? '.' : ''}${'e'.repeat(last - 3)}.com`,
      ),
    );
    fc.assert(
      fc.property(ascii, (text) => {
        expect(checkEmail(text).address).toBe(general(text));
      }),
      { numRuns: 2000 },
    );
  });

  it('whatever the input, a result never holds a control or formatting character (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom('a', 'b@x.example', '@bücher.example'), (junk, tail) => {
        const r = normaliseEmail(junk + tail);
        if (r !== undefined) {
          expect(r).not.toMatch(/[\p{Cc}\p{Cf}\u2028\u2029]/u);
          expect(normaliseEmail(r)).toBe(r);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('phone: valid for its region, or not stored', () => {
  it.each([
    ['12345', 'DE', 'possible but not a valid number for DE'],
    ['+4912345', undefined, 'possible but not a valid number'],
    ['+1 212 555 0100 x123', undefined, 'extension'],
    ['+44 20 7183 8750;ext=12', undefined, 'extension'],
    ['+4915123456789\u0000', undefined, 'U+0000'],
    ['+49151\u200b23456789', undefined, 'U+200B'],
  ])('%j in %s is refused: %s', (raw, country, problem) => {
    const r = checkPhone(raw, country);
    expect(r.address).toBeUndefined();
    expect(r.problem).toContain(problem);
  });

  it('a valid number is E.164 whatever its spelling', () => {
    for (const raw of ['+49 151 23456789', '0049 151 23456789', 'whatsapp:+4915123456789', '(0151) 234 567 89']) expect(normalisePhone(raw, 'DE')).toBe('+4915123456789');
  });
});

describe('reading a number’s digits from ASCII text', () => {
  // asciiDigits stands in for libphonenumber-js's parseIncompletePhoneNumber inside the library
  // (src/customers/address.ts); the library's own function, loaded afresh, is the oracle
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('libphonenumber-js/max')), '../build/parseIncompletePhoneNumber.js');
  phoneLibrary(); // the replacement is in place
  delete require.cache[file];
  const library = (require(file) as { default: (text: string) => string }).default;
  delete require.cache[file];

  it('gives the library’s answer for any ASCII text, and leaves any other text to it (property)', () => {
    const text = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789+ -().x#*/,;ab\t'.split('')), maxLength: 24 }),
      fc.string({ unit: fc.constantFrom(...'0123456789+ ١٢٣۴５６'.split('')), maxLength: 16 }),
      fc.string({ maxLength: 20 }),
    );
    fc.assert(
      fc.property(text, (t) => {
        const fast = asciiDigits(t);
        if (fast === undefined) expect(/^[\x00-\x7f]*$/.test(t)).toBe(false);
        else expect(fast).toBe(library(t));
      }),
      { numRuns: 3000 },
    );
    expect(asciiDigits('+44 (0)20 +7')).toBe(library('+44 (0)20 +7'));
    expect(asciiDigits('1+2')).toBe('12');
  });
});

describe('the direct phone parser', () => {
  // parsePhone skips libphonenumber's argument wrappers (src/customers/address.ts directParser):
  // it must read every text exactly as the public parsePhoneNumberFromString does
  const view = (n: ReturnType<typeof parsePhone>) => n && { number: n.number, ext: n.ext, country: n.country, valid: n.isValid(), possible: n.isPossible() };
  const text = fc.oneof(
    fc.stringMatching(/^(\+|00)?[0-9 ()\-.]{0,18}$/),
    fc.constantFrom('0151 23456789', '+49 151 23456789', '07400 123456', '(201) 555-0123', '+1 201 555 0123 ext. 7', '06 12 34 56 78', '+44', 'tel:+4930123456', ''),
    fc.string({ maxLength: 20 }),
  );
  it('gives the same numbers as parsePhoneNumberFromString, with and without a region', () => {
    const lib = phoneLibrary();
    fc.assert(
      fc.property(text, fc.constantFrom(undefined, 'DE', 'GB', 'US', 'FR', 'NL', 'IN', 'BR'), (t, region) => {
        expect(view(parsePhone(t, region))).toEqual(view(lib.parsePhoneNumberFromString(t, region as never)));
      }),
      { numRuns: 2000 },
    );
  });
});
