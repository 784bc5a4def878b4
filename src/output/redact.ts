/**
 * Last line of defence against leaking secrets: every resolved secret value is registered
 * here, and everything mkt prints passes through `redact`. Code must still never put a
 * secret in a message; this only catches mistakes (e.g. an SDK echoing a header).
 */
const secrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  // Very short values would redact ordinary words; real secrets are long.
  if (value && value.length >= 6) secrets.add(value);
}

export function redact(text: string): string {
  if (secrets.size === 0) return text;
  let out = text;
  for (const s of secrets) if (out.includes(s)) out = out.split(s).join('***');
  return out;
}

/** For tests only. */
export function clearSecrets(): void {
  secrets.clear();
}
