/**
 * The canonical form of a contact address: the ONE rule that import, `suppress add/import`,
 * feedback matching, `mkt serve`, lookups and the stored-row re-check all go through, so that
 * two spellings of one mailbox or number can never be two rows, and a suppression written in one
 * form always excludes every other form.
 *
 *   email   trimmed, NFC, lower-cased, domain in IDNA ASCII (A-label, `xn--…`): `Bob@Bücher.example`,
 *           `bob@bu\u0308cher.example` and `bob@xn--bcher-kva.example` are one address;
 *   phone   E.164 of a number libphonenumber's *max* metadata calls valid for its region.
 *
 * Control characters (C0, DEL, C1), format characters (bidi controls, zero-width characters,
 * soft hyphen, BOM) and line separators are refused outright: they are invisible in a table, and
 * in a header they forge lines. Pure; never throws.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { domainToASCII } from 'node:url';
import type * as PhoneLib from 'libphonenumber-js/max';
import type { Channel } from '../channels.js';
import { INVISIBLE } from '../util/printable.js';

export type AddressCheck = { address: string; problem?: undefined } | { address?: undefined; problem: string };

export interface AddressOptions {
  /** ISO alpha-2 region for a phone number written without `+` / `00`. */
  country?: string;
}

let phoneLib: typeof PhoneLib | undefined;
/** `parsePhoneNumberFromString(text, region)`, called as directly as the package allows (see `directParser`). */
let parseNumber: (text: string, region: PhoneLib.CountryCode | undefined) => PhoneLib.PhoneNumber | undefined;

/**
 * libphonenumber-js with its max metadata (~100 ms and several MB to load): required on first
 * use, so commands that never parse a number (`customers count`, an email suppression) never
 * pay for it. The CommonJS build is used because it loads synchronously; everything in mkt
 * that needs the library takes it from here, so only one copy is ever loaded.
 */
export function phoneLibrary(): typeof PhoneLib {
  if (!phoneLib) {
    const require = createRequire(import.meta.url);
    const lib = (phoneLib = require('libphonenumber-js/max') as typeof PhoneLib);
    cacheMetadataPatterns(require);
    readAsciiDigitsDirectly(require);
    parseNumber = directParser(require) ?? ((text, region) => lib.parsePhoneNumberFromString(text, region));
  }
  return phoneLib;
}

/**
 * `parsePhoneNumberFromString(text, region)` with the max metadata goes through three wrappers
 * (argument normalisation, a region check, an options spread) before the library's own `parse`,
 * and their Babel object spreads were a fifth of the time `customers import` spends on a
 * number. This calls `parse` the way those wrappers end up calling it: options
 * `{ defaultCountry, v2: true }`, the max metadata, a ParseError meaning "not a number". The
 * region is always one `normaliseCountry` accepted, so the skipped region check has nothing to
 * do. Should a future version move these files, the public function is used instead (a test
 * holds the two to the same answers).
 */
function directParser(require: NodeRequire): typeof parseNumber | undefined {
  try {
    const dir = path.join(path.dirname(require.resolve('libphonenumber-js/max')), '..');
    const parse = (require(path.join(dir, 'build/parse.js')) as { default?: unknown }).default;
    const ParseError = (require(path.join(dir, 'build/ParseError.js')) as { default?: unknown }).default;
    const metadata = require(path.join(dir, 'metadata.max.json')) as unknown;
    if (typeof parse !== 'function' || parse.length !== 3 || typeof ParseError !== 'function') return undefined;
    const call = parse as (text: string, options: object, metadata: unknown) => PhoneLib.PhoneNumber;
    return (text, region) => {
      try {
        return call(text, region ? { defaultCountry: region, v2: true } : { v2: true }, metadata);
      } catch (error) {
        if (error instanceof ParseError) return undefined;
        throw error;
      }
    };
  } catch {
    return undefined;
  }
}

/** The number `parsePhoneNumberFromString(text, region)` of the max metadata reads from `text` (exported for the test that holds the fast path to it). */
export function parsePhone(text: string, region?: string): PhoneLib.PhoneNumber | undefined {
  phoneLibrary();
  return parseNumber(text, region as PhoneLib.CountryCode | undefined);
}

/**
 * libphonenumber-js tests a number against its metadata with `matchesEntirely(text, pattern)`,
 * which builds `new RegExp('^(?:' + pattern + ')$')` on every call: for the large fixed-line
 * patterns (DE, GB) building and hashing that source string was half of `customers import`'s
 * time per row. Its other modules call the helper through its exports object, so replacing the
 * export with one that keeps each compiled pattern gives the very same answers (no flags, so
 * a RegExp holds no state between `test` calls) at a fraction of the cost. Should a future
 * version move the helper, nothing is replaced and only the speed is lost.
 */
function cacheMetadataPatterns(require: NodeRequire): void {
  try {
    const file = path.join(path.dirname(require.resolve('libphonenumber-js/max')), '../build/helpers/matchesEntirely.js');
    const helper = require(file) as { default?: unknown };
    if (typeof helper.default !== 'function' || helper.default.length !== 2) return;
    const compiled = new Map<string, RegExp>();
    helper.default = (text: string | undefined, pattern: string): boolean => {
      let re = compiled.get(pattern);
      if (!re) compiled.set(pattern, (re = new RegExp('^(?:' + pattern + ')$')));
      return re.test(text || '');
    };
  } catch {
    // not this layout of the package: the library's own helper stays
  }
}

/**
 * libphonenumber-js reads a number's digits (`parseIncompletePhoneNumber`, twice per number)
 * character by character through an iterator and a table of every script's digits: a tenth of
 * checking a number. For ASCII text, all a customer file holds, the answer is simply its ASCII
 * digits, with a `+` in front when one comes before the first digit (a later `+` is dropped,
 * as the library drops it); any other text still goes to the library. Replaced in place, like
 * `cacheMetadataPatterns`, so every caller inside the library gets it; a test holds it to the
 * library's own function on arbitrary text.
 */
function readAsciiDigitsDirectly(require: NodeRequire): void {
  try {
    const file = path.join(path.dirname(require.resolve('libphonenumber-js/max')), '../build/parseIncompletePhoneNumber.js');
    const module = require(file) as { default?: unknown };
    if (typeof module.default !== 'function' || module.default.length !== 1) return;
    const library = module.default as (text: string) => string;
    module.default = (text: string): string => asciiDigits(text) ?? library(text);
  } catch {
    // not this layout of the package: the library's own function stays
  }
}

/** The number's characters as `parseIncompletePhoneNumber` reads them, for ASCII text; undefined for any other. */
export function asciiDigits(text: string): string | undefined {
  if (!ASCII.test(text)) return undefined;
  const digits = text.replace(NOT_DIGIT, '');
  const plus = text.indexOf('+');
  return plus !== -1 && (digits === '' || plus < text.search(DIGIT)) ? '+' + digits : digits;
}
const ASCII = /^[\x00-\x7f]*$/;
const NOT_DIGIT = /[^0-9]/g;
const DIGIT = /[0-9]/;

// C0, DEL, C1 (Cc); bidi controls, zero-width characters, BOM, soft hyphen (Cf); U+2028/2029:
// the same class messages escape (src/util/printable.ts), so what is refused is also shown escaped
const FORBIDDEN = INVISIBLE;

const codePoint = (ch: string) => `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/** `contains U+000D, a control character` when `text` holds a character no address may hold. */
export function forbiddenCharacter(text: string): string | undefined {
  const m = FORBIDDEN.exec(text);
  if (!m) return undefined;
  const kind = /\p{Cc}/u.test(m[0]) ? 'a control character' : 'an invisible formatting character (bidi control / zero-width)';
  return `contains ${codePoint(m[0])}, ${kind}`;
}

/** ≤ 254 octets overall (RFC 5321 path limit), ≤ 64 before the `@`. */
const MAX_EMAIL = 254;
const MAX_LOCAL = 64;
// local part: printable, no spaces, no `@`, no leading/trailing/double dots
const LOCAL = /^[^\s@."(),:;<>[\\\]]+(?:\.[^\s@."(),:;<>[\\\]]+)*$/u;
// before IDNA: dot-separated labels of letters, marks, digits and hyphens (no `%`, which the
// WHATWG host parser would percent-decode into a different domain)
const UNICODE_DOMAIN = /^[\p{L}\p{M}\p{N}-]+(?:\.[\p{L}\p{M}\p{N}-]+)+$/u;
// after IDNA: LDH labels ≤ 63, no hyphen at either end, a top-level label of letters or an A-label
const ASCII_DOMAIN = /^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

const NOT_EMAIL = 'not an email address';

/**
 * domainToASCII, remembered: a customer file has millions of addresses but few domains, and
 * the conversion was a third of checking an address. Bounded, so a file of a million distinct
 * junk domains cannot grow it without limit.
 */
const domains = new Map<string, string>();
function asciiDomain(unicode: string): string {
  let ascii = domains.get(unicode);
  if (ascii === undefined) {
    ascii = domainToASCII(unicode);
    if (domains.size < 10_000) domains.set(unicode, ascii);
  }
  return ascii;
}

/** The canonical email address, or the reason there is none. */
export function checkEmail(raw: string): AddressCheck {
  const text = raw.trim();
  // Printable ASCII, nearly every address in a customer file: nothing to refuse, NFC changes
  // nothing, and one character is one byte; the same steps below, minus those that cannot
  // change anything (a third of the check's time in a 1M-row import)
  const ascii = PRINTABLE_ASCII.test(text);
  if (!ascii) {
    const bad = forbiddenCharacter(text);
    if (bad) return { problem: bad };
  }
  // NFC twice: lower-casing can (rarely) leave a string that is no longer composed
  const email = ascii ? text.toLowerCase() : text.normalize('NFC').toLowerCase().normalize('NFC');
  const at = email.lastIndexOf('@');
  if (at <= 0) return { problem: NOT_EMAIL };
  const local = email.slice(0, at);
  const unicodeDomain = email.slice(at + 1);
  if (!LOCAL.test(local) || (ascii ? local.length : Buffer.byteLength(local)) > MAX_LOCAL || !UNICODE_DOMAIN.test(unicodeDomain)) return { problem: NOT_EMAIL };
  // UTS #46 (what browsers and SES use): U-labels become A-labels, full-width forms fold
  const domain = asciiDomain(unicodeDomain);
  if (!domain || domain.length > 253 || !ASCII_DOMAIN.test(domain)) return { problem: `${NOT_EMAIL} (the domain is not a valid internationalised name)` };
  const address = `${local}@${domain}`;
  return (ascii ? address.length : Buffer.byteLength(address)) > MAX_EMAIL ? { problem: `${NOT_EMAIL} (longer than ${MAX_EMAIL} bytes)` } : { address };
}
const PRINTABLE_ASCII = /^[\x21-\x7e]*$/;

/**
 * The stored shape of a number: `+`, a non-zero digit, then 6 to 14 more digits. The lower
 * bound is the one prepare's SQL shape check applies (src/db/audience-sql.ts); keeping them
 * equal means nothing stored here is later called `invalid_address` (a test holds them together).
 */
const E164 = /^\+[1-9]\d{6,14}$/;

/** The ISO 3166 alpha-2 code in upper case when libphonenumber knows the country, else undefined. */
export function normaliseCountry(raw: string): string | undefined {
  // remembered: every row of an import asks this (twice with a phone number), of a few values,
  // and the library builds a metadata object per question
  let code = countries.get(raw);
  if (code === undefined) {
    const upper = raw.trim().toUpperCase();
    code = /^[A-Z]{2}$/.test(upper) && phoneLibrary().isSupportedCountry(upper) ? upper : null;
    if (countries.size < 1_000) countries.set(raw, code);
  }
  return code ?? undefined;
}
const countries = new Map<string, string | null>();

/**
 * The canonical (E.164) phone number, or the reason there is none. A number without `+` / `00`
 * is read as a national number of `country`. A `whatsapp:` prefix (Twilio's form) is stripped.
 *
 * Only numbers the max metadata calls *valid* (an assigned range of the region) are accepted:
 * a merely *possible* one (right length, e.g. `12345` in DE → `+4912345`) may reach a stranger
 * or nobody. Extensions are refused: an SMS cannot dial one.
 */
export function checkPhone(raw: string, country?: string): AddressCheck {
  let text = raw.trim();
  const bad = forbiddenCharacter(text);
  if (bad) return { problem: bad };
  if (/^whatsapp:/i.test(text)) text = text.slice('whatsapp:'.length).trim();
  if (text.length === 0 || text.length > 40) return { problem: 'not a phone number' };
  // `0049…`: the international call prefix used across most of the world
  if (text.startsWith('00')) text = '+' + text.slice(2);
  const region = country ? normaliseCountry(country) : undefined;
  const parsed = parsePhone(text, region);
  if (!parsed) return { problem: 'not a phone number' };
  if (parsed.ext) return { problem: `has an extension (${parsed.ext}), which a message cannot dial` };
  if (!parsed.isValid()) {
    return { problem: parsed.isPossible() ? `possible but not a valid number${parsed.country ? ` for ${parsed.country}` : ''} (no such range is assigned)` : 'not a phone number' };
  }
  return E164.test(parsed.number) ? { address: parsed.number } : { problem: 'not a phone number' };
}

/** THE canonical form of an address on a channel (email, or a number for SMS / WhatsApp). */
export function checkAddress(channel: Channel | 'phone', raw: string, opts: AddressOptions = {}): AddressCheck {
  return channel === 'email' ? checkEmail(raw) : checkPhone(raw, opts.country);
}

/** checkAddress without the reason: the stored form, or undefined. */
export function normaliseAddress(channel: Channel | 'phone', raw: string, opts: AddressOptions = {}): string | undefined {
  return checkAddress(channel, raw, opts).address;
}

export const normaliseEmail = (raw: string): string | undefined => checkEmail(raw).address;
export const normalisePhone = (raw: string, country?: string): string | undefined => checkPhone(raw, country).address;
