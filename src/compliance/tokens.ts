/**
 * Unsubscribe tokens (RFC 8058 one-click): an opaque, URL-safe HMAC over who and what, so the
 * URL alone identifies the recipient without exposing the address. Shape:
 *
 *   base64url("<keyId>.<campaignId>.<customerId>.<channel>") "." base64url(HMAC-SHA256(key, that)[0..16])
 *
 * The key id lets a workspace rotate keys: new links are signed with the current key, links
 * already in inboxes keep working while their key is listed in `previous_secrets`.
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

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(payload).digest().subarray(0, MAC_BYTES);
}

export class UnsubscribeTokens {
  private readonly keys: Map<string, string>;

  constructor(
    private readonly current: TokenKey,
    previous: TokenKey[] = [],
  ) {
    this.keys = new Map([...previous.map((k) => [k.keyId, k.secret] as const), [current.keyId, current.secret]]);
  }

  sign(s: TokenSubject): string {
    const payload = `${this.current.keyId}.${s.campaignId}.${s.customerId}.${s.channel}`;
    return `${Buffer.from(payload).toString('base64url')}.${mac(this.current.secret, payload).toString('base64url')}`;
  }

  /** The subject of a genuine token; undefined for anything forged, tampered, truncated or signed with an unknown key. */
  verify(token: string): (TokenSubject & { keyId: string }) | undefined {
    if (token.length > MAX_TOKEN) return undefined;
    const dot = token.indexOf('.');
    if (dot <= 0 || dot !== token.lastIndexOf('.')) return undefined;
    const payloadPart = token.slice(0, dot);
    const macPart = token.slice(dot + 1);
    if (!/^[A-Za-z0-9_-]+$/.test(payloadPart) || !/^[A-Za-z0-9_-]+$/.test(macPart)) return undefined;
    const payload = Buffer.from(payloadPart, 'base64url').toString('utf8');
    // the encoding must round-trip exactly: no alternative spellings of the same token
    if (Buffer.from(payload).toString('base64url') !== payloadPart) return undefined;
    const m = /^([A-Za-z0-9_-]{1,16})\.([1-9]\d{0,15})\.([1-9]\d{0,15})\.([a-z]+)$/.exec(payload);
    if (!m) return undefined;
    const secret = this.keys.get(m[1]!);
    if (secret === undefined) return undefined;
    const given = Buffer.from(macPart, 'base64url');
    if (given.length !== MAC_BYTES || given.toString('base64url') !== macPart) return undefined;
    if (!timingSafeEqual(given, mac(secret, payload))) return undefined;
    const channel = m[4]!;
    if (!isChannel(channel)) return undefined;
    return { keyId: m[1]!, campaignId: Number(m[2]), customerId: Number(m[3]), channel };
  }
}
