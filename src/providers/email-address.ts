/**
 * Mailboxes as providers.yaml writes them (`Acme News <news@m1.acme.example>` or a bare address)
 * and as headers need them: display names quoted when they hold specials, RFC 2047 encoded-words
 * when they are not ASCII.
 */
export interface Mailbox {
  name?: string;
  address: string;
}

export function parseMailbox(text: string): Mailbox {
  const m = /^\s*(.*?)\s*<([^<>]+)>\s*$/.exec(text);
  if (!m) return { address: text.trim() };
  let name = m[1]!.trim();
  if (name.startsWith('"') && name.endsWith('"') && name.length >= 2) name = name.slice(1, -1).replace(/\\(.)/g, '$1');
  return name ? { name, address: m[2]!.trim() } : { address: m[2]!.trim() };
}

const ASCII = /^[\x20-\x7e]*$/;
const ATOM_TEXT = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*$/;

/** An RFC 2047 encoded-word sequence (base64, UTF-8), each word ≤ 75 characters, never splitting a character. */
export function encodeWords(text: string): string {
  const words: string[] = [];
  let chunk = '';
  for (const ch of text) {
    // 75 - '=?UTF-8?B?'.length - '?='.length = 63 base64 chars = 45 bytes max per word
    if (Buffer.byteLength(chunk + ch) > 45) {
      words.push(chunk);
      chunk = '';
    }
    chunk += ch;
  }
  if (chunk) words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join(' ');
}

/** A header value safe for ASCII-only transports: as-is when printable ASCII, else encoded-words. */
export function encodeHeaderText(text: string): string {
  return ASCII.test(text) ? text : encodeWords(text);
}

export function formatMailbox(box: Mailbox): string {
  if (!box.name) return box.address;
  let name: string;
  if (!ASCII.test(box.name)) name = encodeWords(box.name);
  else if (ATOM_TEXT.test(box.name)) name = box.name;
  else name = `"${box.name.replace(/(["\\])/g, '\\$1')}"`;
  return `${name} <${box.address}>`;
}

/** The sender's mailbox, with the message's display name taking precedence when it has one. */
export function fromMailbox(sender: string, fromName?: string): Mailbox {
  const box = parseMailbox(sender);
  return fromName ? { name: fromName, address: box.address } : box;
}
