/**
 * Last line of defence against leaking secrets: every resolved secret value is registered
 * here, and everything mkt prints passes through `redact`. Code must still never put a
 * secret in a message; this only catches mistakes (e.g. an SDK echoing a header).
 *
 * A secret rarely leaks verbatim: a URL parser lower-cases it inside a hostname (ENOTFOUND
 * messages), a client percent-encodes it into a query or form body, an auth header carries it
 * base64-encoded. So each secret is registered with the forms those steps produce (see
 * `secretForms`), matched without regard to case, and every stretch of text that any form
 * covers is replaced, overlaps merged, so no fragment of one form survives next to another.
 *
 * It sits in src/util (not src/output) because the code that resolves a secret, the workspace
 * toolkit and the providers, registers it, and the providers redact their own error text.
 */

/** Shorter forms would redact ordinary words; real secrets are long. */
const MIN_LENGTH = 6;

/**
 * A password a person typed into a connection string may be short (`p`, `ex`), and a driver
 * error is English text: replacing such a password inside a word (`Connection terminated
 * unex***ectedly`) gives it away instead of hiding it. So a secret registered as `standalone`
 * is cut only where it is not inside a word (no letter or digit touches it on either side),
 * unless it is at least this long: no word of a message contains that by chance. Its forms
 * are the ones a URL gives it (as is, cased, percent-encoded); it is never base64-encoded.
 */
export const STANDALONE_ANYWHERE_LENGTH = 12;

export interface SecretOptions {
  /** cut only where it stands alone unless long (the rule above); any length is registered */
  standalone?: boolean;
}

/** A set of secrets and the redaction of their forms. The process has one (below); a test makes its own. */
export class SecretRedactor {
  private readonly secrets = new Set<string>();
  private readonly standalone = new Set<string>();
  /** One pattern per form of every secret, rebuilt when a secret is added. */
  private patterns: string[] = [];
  /** One pass over the text that says whether any form occurs (the common case is: none). */
  private anyForm: RegExp | undefined;

  register(value: string | undefined, opts: SecretOptions = {}): void {
    if (!value) return;
    if (opts.standalone) {
      if (this.standalone.has(value)) return;
      this.standalone.add(value);
    } else {
      if (value.length < MIN_LENGTH || this.secrets.has(value)) return;
      this.secrets.add(value);
    }
    const all = new Map<string, string>();
    // ASCII forms that differ only in case are one form to a case-blind match; other scripts'
    // case mappings can change length (İ → i̇), so those forms are kept as they are
    const key = (f: string) => (/^[\x00-\x7f]*$/.test(f) ? f.toLowerCase() : f);
    for (const s of this.secrets) for (const f of secretForms(s)) all.set(key(f), escapeRegExp(f));
    for (const s of this.standalone) {
      for (const f of urlForms(s)) {
        if (all.has(key(f))) continue;
        all.set(key(f), f.length >= STANDALONE_ANYWHERE_LENGTH ? escapeRegExp(f) : `(?<![A-Za-z0-9])${escapeRegExp(f)}(?![A-Za-z0-9])`);
      }
    }
    // longest first, so the quick check prefers the widest match at a position
    this.patterns = [...all.values()].sort((a, b) => b.length - a.length);
    this.anyForm = new RegExp(this.patterns.join('|'), 'i');
  }

  redact(text: string): string {
    if (!this.anyForm || !this.anyForm.test(text)) return text;
    // Rare path (something leaked): find every occurrence of every form, overlapping ones too.
    const spans: Array<[number, number]> = [];
    for (const p of this.patterns) {
      const re = new RegExp(p, 'gi');
      for (let m = re.exec(text); m; m = re.exec(text)) {
        spans.push([m.index, m.index + m[0].length]);
        re.lastIndex = m.index + 1;
      }
    }
    spans.sort((a, b) => a[0] - b[0]);
    let out = '';
    let at = 0;
    for (let i = 0; i < spans.length; ) {
      const start = spans[i]![0];
      let end = spans[i]![1];
      for (i++; i < spans.length && spans[i]![0] <= end; i++) end = Math.max(end, spans[i]![1]);
      out += text.slice(at, start) + '***';
      at = end;
    }
    return out + text.slice(at);
  }
}

/** The process's secrets: what the workspace and the providers resolved. */
const processSecrets = new SecretRedactor();

export function registerSecret(value: string | undefined, opts: SecretOptions = {}): void {
  processSecrets.register(value, opts);
}

export function redact(text: string): string {
  return processSecrets.redact(text);
}

/**
 * The forms a secret takes on its way into a message: as is, lower- and upper-cased (case is
 * also ignored when matching, this covers characters whose case mapping changes their encoding),
 * percent-encoded as encodeURIComponent and as HTML forms do (space as +), and base64, standard
 * and url-safe, at each of the three alignments it can have inside a longer base64 text (an
 * `Authorization: Basic` header encodes `user:secret`): only the characters that depend on
 * the secret's bytes alone, so a match anywhere in a base64 blob is found.
 */
export function secretForms(secret: string): string[] {
  const out = new Set<string>();
  for (const s of new Set([secret, secret.toLowerCase(), secret.toUpperCase()])) {
    out.add(s);
    const uri = tryEncode(s);
    if (uri) out.add(uri);
    out.add(new URLSearchParams([['', s]]).toString().slice(1));
  }
  const bytes = Buffer.from(secret, 'utf8');
  for (let pad = 0; pad < 3; pad++) {
    const b64 = Buffer.concat([Buffer.alloc(pad), bytes]).toString('base64');
    // base64 character i holds bits [6i, 6i+6): keep those entirely inside the secret's bits
    const core = b64.slice(Math.ceil((8 * pad) / 6), Math.floor((8 * (pad + bytes.length)) / 6));
    out.add(core);
    out.add(core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return [...out].filter((f) => f.length >= MIN_LENGTH);
}

/** The forms a password takes in a connection string and its parsers: as is, cased, percent-encoded. */
function urlForms(secret: string): string[] {
  const out = new Set<string>();
  for (const s of [secret, secret.toLowerCase(), secret.toUpperCase()]) {
    out.add(s);
    const uri = tryEncode(s);
    if (uri) out.add(uri);
  }
  return [...out];
}

function tryEncode(s: string): string | undefined {
  try {
    return encodeURIComponent(s);
  } catch {
    return undefined; // a lone surrogate cannot be percent-encoded, so it never is
  }
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
