/**
 * A small RFC 5322 / MIME writer for the outbox: multipart/alternative (text + HTML) in UTF-8
 * quoted-printable, non-ASCII header text as RFC 2047 encoded-words, CRLF line ends, header lines
 * folded below 78 characters where they have spaces to fold at.
 */
import { encodeHeaderText } from '../email-address.js';

export interface EmlInput {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  date: Date;
  /** Without angle brackets. */
  messageId: string;
  replyTo?: string;
  headers: Array<{ name: string; value: string }>;
  boundary: string;
}

const HEX = '0123456789ABCDEF';
/** Characters quoted-printable must encode: `=`, controls, non-ASCII (whole code points). */
const NEEDS_ENCODING = /[^\x20-\x3c\x3e-\x7e\t]/gu;
const encoded = new Map<string, string>();

function encodeChar(ch: string): string {
  let e = encoded.get(ch);
  if (e === undefined) {
    e = '';
    for (const b of Buffer.from(ch, 'utf8')) e += '=' + HEX[b >> 4] + HEX[b & 15];
    if (encoded.size < 4096) encoded.set(ch, e);
  }
  return e;
}

/**
 * Quoted-printable (RFC 2045 §6.7) of UTF-8 text; line ends become CRLF, lines stay ≤ 76
 * characters. Works on whole strings with one regex pass per line (the outbox writes thousands
 * of messages per second, so no per-byte loop).
 */
export function quotedPrintable(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  for (const line of lines) {
    let q = line.replace(NEEDS_ENCODING, encodeChar);
    // trailing white space would be stripped in transit: encode it
    const last = q.charCodeAt(q.length - 1);
    if (last === 32 || last === 9) q = q.slice(0, -1) + (last === 32 ? '=20' : '=09');
    // soft breaks every ≤ 75 characters, never inside an =XX triplet
    while (q.length > 76) {
      let cut = 75;
      if (q[cut - 1] === '=') cut -= 1;
      else if (q[cut - 2] === '=') cut -= 2;
      out.push(q.slice(0, cut) + '=');
      q = q.slice(cut);
    }
    out.push(q);
  }
  return out.join('\r\n');
}

/** Folds a header line at spaces so that lines stay under 78 characters where possible. */
export function foldHeader(name: string, value: string): string {
  const line = `${name}: ${value}`;
  if (line.length <= 78) return line;
  const words = line.split(' ');
  const out: string[] = [];
  let cur = words.shift()!;
  for (const w of words) {
    if (cur.length + 1 + w.length > 78) {
      out.push(cur);
      cur = ' ' + w;
    } else cur += ' ' + w;
  }
  out.push(cur);
  return out.join('\r\n');
}

/** `Sun, 29 Nov 2026 00:51:15 +0000` */
export function rfc5322Date(d: Date): string {
  return d.toUTCString().replace(/GMT$/, '+0000');
}

function part(contentType: string, body: string): string {
  return `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n${quotedPrintable(body)}`;
}

export function buildEml(m: EmlInput): string {
  const head: string[] = [
    foldHeader('From', m.from),
    foldHeader('To', m.to),
    ...(m.replyTo ? [foldHeader('Reply-To', m.replyTo)] : []),
    foldHeader('Subject', encodeHeaderText(m.subject)),
    `Date: ${rfc5322Date(m.date)}`,
    `Message-ID: <${m.messageId}>`,
    'MIME-Version: 1.0',
  ];
  const reserved = new Set(['from', 'to', 'reply-to', 'subject', 'date', 'message-id', 'mime-version', 'content-type', 'content-transfer-encoding']);
  for (const h of m.headers) {
    if (!reserved.has(h.name.toLowerCase())) head.push(foldHeader(h.name, encodeHeaderText(h.value)));
  }
  let body: string;
  if (m.text && m.html) {
    head.push(`Content-Type: multipart/alternative; boundary="${m.boundary}"`);
    body = [
      'This is a multi-part message in MIME format.',
      `--${m.boundary}`,
      part('text/plain', m.text),
      `--${m.boundary}`,
      part('text/html', m.html),
      `--${m.boundary}--`,
      '',
    ].join('\r\n');
  } else {
    const [type, content] = m.html ? ['text/html', m.html] : ['text/plain', m.text];
    head.push(`Content-Type: ${type}; charset=utf-8`, 'Content-Transfer-Encoding: quoted-printable');
    body = quotedPrintable(content) + '\r\n';
  }
  return head.join('\r\n') + '\r\n\r\n' + body;
}
