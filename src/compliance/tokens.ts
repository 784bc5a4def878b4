/**
 * Unsubscribe tokens (RFC 8058 one-click): an opaque, URL-safe HMAC over who and what, so the
 * URL alone identifies the recipient without exposing the address. Shape:
 *
 *   base64url("<keyId>.<campaignId>.<customerId>.<channel>") "." base64url(HMAC-SHA256(key, that)[0..16])
 *
 * The key id lets a workspace rotate keys: new links are signed with the current key, links
 * already in inboxes keep working while their key is listed in `previous_secrets`.
 *
 * Tracked links (click, open, SMS short link) are signed with the same keys (KeyRing), but over
 * a purpose-prefixed payload, so no token of one kind is ever a valid token of another.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { isChannel, type Channel } from '../channels.js';

export interface TokenKey {
  keyId: string;
  secret: string;
}

export interface TokenSubject {
  campaignId: number;
  customerId: number;
  channel: Channel;
}

const MAC_BYTES = 16;
const MAX_TOKEN = 200;

function mac(secret: string, payload: string, bytes = MAC_BYTES): Buffer {
  return createHmac('sha256', secret).update(payload).digest().subarray(0, bytes);
}

/** The current signing key and the older ones still accepted. */
class KeyRing {
  protected readonly keys: Map<string, string>;

  constructor(
    protected readonly current: TokenKey,
    previous: TokenKey[] = [],
  ) {
    this.keys = new Map([...previous.map((k) => [k.keyId, k.secret] as const), [current.keyId, current.secret]]);
  }
}

/** `<base64url payload>.<base64url mac>`, both parts in their one canonical spelling; undefined otherwise. */
function splitToken(token: string, macBytes: number): { payload: string; given: Buffer } | undefined {
  if (token.length > MAX_TOKEN) return undefined;
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return undefined;
  const payloadPart = token.slice(0, dot);
  const macPart = token.slice(dot + 1);
  if (!/^[A-Za-z0-9_-]+$/.test(payloadPart) || !/^[A-Za-z0-9_-]+$/.test(macPart)) return undefined;
  const payload = Buffer.from(payloadPart, 'base64url').toString('utf8');
  // the encoding must round-trip exactly: no alternative spellings of the same token
  if (Buffer.from(payload).toString('base64url') !== payloadPart) return undefined;
  const given = Buffer.from(macPart, 'base64url');
  if (given.length !== macBytes || given.toString('base64url') !== macPart) return undefined;
  return { payload, given };
}

export class UnsubscribeTokens extends KeyRing {

  sign(s: TokenSubject): string {
    const payload = `${this.current.keyId}.${s.campaignId}.${s.customerId}.${s.channel}`;
    return `${Buffer.from(payload).toString('base64url')}.${mac(this.current.secret, payload).toString('base64url')}`;
  }

  /** The subject of a genuine token; undefined for anything forged, tampered, truncated or signed with an unknown key. */
  verify(token: string): (TokenSubject & { keyId: string }) | undefined {
    const split = splitToken(token, MAC_BYTES);
    if (!split) return undefined;
    const { payload, given } = split;
    const m = /^([A-Za-z0-9_-]{1,16})\.([1-9]\d{0,15})\.([1-9]\d{0,15})\.([a-z]+)$/.exec(payload);
    if (!m) return undefined;
    const secret = this.keys.get(m[1]!);
    if (secret === undefined) return undefined;
    if (!timingSafeEqual(given, mac(secret, payload))) return undefined;
    const channel = m[4]!;
    if (!isChannel(channel)) return undefined;
    return { keyId: m[1]!, campaignId: Number(m[2]), customerId: Number(m[3]), channel };
  }
}

/** Who and which link a tracked URL stands for: link 0 is the open pixel. */
export interface TrackSubject {
  campaignId: number;
  /** the ledger row (campaign_recipients.id): the recipient of this one message */
  ledgerId: number;
  linkId: number;
}

/** What the MAC of a tracked link covers before the payload: never the same bytes as an unsubscribe token's. */
const TRACK_PURPOSE = 'mkt-track\u0000';
const SHORT_PURPOSE = 'mkt-short\u0000';
/** SMS codes carry a shorter tag (48 bits): a guess still has a 1 in 2^48 chance, and every guess is a request. */
const SHORT_MAC_BYTES = 6;
const B36 = /^[1-9a-z][0-9a-z]{0,10}$/;

/**
 * Signed tracked links. Click and open tokens have the unsubscribe token's shape
 * (`base64url("<keyId>.<campaign>.<ledger row>.<link>")` `.` a 128-bit tag). SMS short codes are
 * `<campaign>.<ledger row>.<link>` in base 36 then 8 characters of tag and no key id: they are
 * checked against every key in the ring, newest first, so rotation works the same way.
 */
export class TrackingTokens extends KeyRing {
  sign(s: TrackSubject): string {
    const payload = `${this.current.keyId}.${s.campaignId}.${s.ledgerId}.${s.linkId}`;
    return `${Buffer.from(payload).toString('base64url')}.${mac(this.current.secret, TRACK_PURPOSE + payload).toString('base64url')}`;
  }

  verify(token: string): (TrackSubject & { keyId: string }) | undefined {
    const split = splitToken(token, MAC_BYTES);
    if (!split) return undefined;
    const m = /^([A-Za-z0-9_-]{1,16})\.([1-9]\d{0,15})\.([1-9]\d{0,15})\.(0|[1-9]\d{0,8})$/.exec(split.payload);
    if (!m) return undefined;
    const secret = this.keys.get(m[1]!);
    if (secret === undefined || !timingSafeEqual(split.given, mac(secret, TRACK_PURPOSE + split.payload))) return undefined;
    return { keyId: m[1]!, campaignId: Number(m[2]), ledgerId: Number(m[3]), linkId: Number(m[4]) };
  }

  /** The short code of an SMS link (always a real link: linkId ≥ 1). */
  short(s: TrackSubject): string {
    const payload = [s.campaignId, s.ledgerId, s.linkId].map((n) => n.toString(36)).join('.');
    return `${payload}.${mac(this.current.secret, SHORT_PURPOSE + payload, SHORT_MAC_BYTES).toString('base64url')}`;
  }

  verifyShort(code: string): TrackSubject | undefined {
    if (code.length > 64) return undefined;
    const parts = code.split('.');
    if (parts.length !== 4 || !parts.slice(0, 3).every((p) => B36.test(p))) return undefined;
    const given = Buffer.from(parts[3]!, 'base64url');
    if (given.length !== SHORT_MAC_BYTES || given.toString('base64url') !== parts[3]) return undefined;
    const payload = parts.slice(0, 3).join('.');
    const secrets = [this.current.secret, ...[...this.keys.values()].filter((k) => k !== this.current.secret)];
    if (!secrets.some((secret) => timingSafeEqual(given, mac(secret, SHORT_PURPOSE + payload, SHORT_MAC_BYTES)))) return undefined;
    const [campaignId, ledgerId, linkId] = parts.slice(0, 3).map((p) => parseInt(p, 36)) as [number, number, number];
    if (!Number.isSafeInteger(ledgerId) || linkId < 1) return undefined;
    return { campaignId, ledgerId, linkId };
  }
}
