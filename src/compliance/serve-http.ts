/**
 * The HTTP plumbing of `mkt serve` that has to hold against anything a client sends: request
 * targets parsed without the WHATWG URL parser (which throws on `//`, `//a:b`, `//[`), capped
 * bodies answered 413 (also chunked ones), and log text that can neither forge a line nor carry
 * an unsubscribe token.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const MAX_BODY = 256 * 1024;
/** After a body went over the cap, this much more is read and dropped so the client sees the 413. */
const DISCARD_AFTER_LIMIT = 4 * 1024 * 1024;

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export interface Target {
  /** The path exactly as sent (still percent-encoded). */
  path: string;
  query: URLSearchParams;
}

/** Splits a request target into path and query. Never throws: an unusable target is a 400. */
export function parseTarget(raw: string | undefined): Target {
  let target = raw ?? '/';
  const hash = target.indexOf('#');
  if (hash >= 0) target = target.slice(0, hash);
  const q = target.indexOf('?');
  let pathPart = q >= 0 ? target.slice(0, q) : target;
  const query = new URLSearchParams(q >= 0 ? target.slice(q + 1) : '');
  // absolute-form (`GET http://host/path`), which proxies may send
  const abs = /^https?:\/\/[^/]*(\/.*)?$/i.exec(pathPart);
  if (abs) pathPart = abs[1] ?? '/';
  if (!pathPart.startsWith('/')) throw new HttpError(400, 'bad request target');
  return { path: pathPart, query };
}

/** One percent-encoded path segment, decoded; malformed encoding is the client's error. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, 'bad percent-encoding in the path');
  }
}

/** Reads a body of at most MAX_BODY bytes; larger ones (declared or streamed) are HttpError 413. */
export function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    const tooLarge = () => {
      over = true;
      chunks.length = 0;
      reject(new HttpError(413, 'body too large', { connection: 'close' }));
    };
    if (Number(req.headers['content-length'] ?? 0) > MAX_BODY) tooLarge();
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Keep reading (and dropping) for a while: closing a socket the client still writes to
      // resets it before it can read the 413.
      if (over) {
        if (size > MAX_BODY + DISCARD_AFTER_LIMIT) req.destroy();
      } else if (size > MAX_BODY) tooLarge();
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', ...headers });
  res.end(body);
}

/** A short, stable reference to a token for logs: enough to correlate, useless to unsubscribe. */
export function tokenRef(token: string): string {
  return '#' + createHash('sha256').update(token).digest('hex').slice(0, 10);
}

/** A request path as it may be logged: whatever follows `/u/` (or a tracking route) is a token, shown as its hash prefix; long paths are cut. */
export function loggablePath(p: string): string {
  const m = /^\/(u|c|o|s)\//.exec(p);
  if (m) return m[0] + tokenRef(p.slice(3));
  return p.length > 200 ? p.slice(0, 200) + '…' : p;
}

// C0, DEL, C1, line/paragraph separators, bidi and zero-width controls, and the backslash that escapes them.
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\\]/g;

/** One log line whatever went into it: CR, LF and other controls become visible escapes. */
export function escapeLogLine(line: string): string {
  return line.replace(UNSAFE, (c) => (c === '\\' ? '\\\\' : c.charCodeAt(0) < 0x100 ? `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}` : `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`));
}
