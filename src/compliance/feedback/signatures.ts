/**
 * Webhook signature checks. Every comparison is constant-time; a missing or malformed
 * signature is simply "not valid".
 *
 * - Twilio `X-Twilio-Signature`: base64 HMAC-SHA1 (auth token) of the full URL Twilio called,
 *   followed by every POST parameter name and value, names sorted.
 * - Meta `X-Hub-Signature-256`: `sha256=` + hex HMAC-SHA256 (app secret) of the raw body.
 * - SNS: RSA signature (SignatureVersion 1 = SHA1, 2 = SHA256) over the canonical string of
 *   the message, checked against a pinned certificate or public key (mkt never downloads the
 *   certificate named in the message: that URL is attacker-controlled until proven otherwise).
 */
import { createHmac, createPublicKey, timingSafeEqual, verify, X509Certificate, type KeyObject } from 'node:crypto';

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function twilioSignature(url: string, params: Record<string, string | string[]>, authToken: string): string {
  let data = url;
  for (const key of Object.keys(params).sort()) {
    const v = params[key]!;
    for (const one of Array.isArray(v) ? [...v].sort() : [v]) data += key + one;
  }
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

export function validTwilioSignature(header: string | undefined, url: string, params: Record<string, string | string[]>, authToken: string): boolean {
  return typeof header === 'string' && safeEqual(header, twilioSignature(url, params, authToken));
}

export function metaSignature(rawBody: Buffer, appSecret: string): string {
  return 'sha256=' + createHmac('sha256', appSecret).update(rawBody).digest('hex');
}

export function validMetaSignature(header: string | undefined, rawBody: Buffer, appSecret: string): boolean {
  return typeof header === 'string' && safeEqual(header.toLowerCase(), metaSignature(rawBody, appSecret));
}

const NOTIFICATION_KEYS = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'];
const CONFIRMATION_KEYS = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];

/** The string SNS signs: `Key\nValue\n` for each signed key present, in this order. */
export function snsStringToSign(m: Record<string, unknown>): string {
  const keys = m.Type === 'Notification' ? NOTIFICATION_KEYS : CONFIRMATION_KEYS;
  return keys
    .filter((k) => typeof m[k] === 'string')
    .map((k) => `${k}\n${m[k] as string}\n`)
    .join('');
}

/** A key from PEM text: an X.509 certificate (as SNS publishes) or a bare public key. */
export function snsKeyFromPem(pem: string): KeyObject {
  return pem.includes('BEGIN CERTIFICATE') ? new X509Certificate(pem).publicKey : createPublicKey(pem);
}

export function validSnsSignature(m: Record<string, unknown>, key: KeyObject): boolean {
  if (typeof m.Signature !== 'string') return false;
  const alg = m.SignatureVersion === '2' ? 'sha256' : m.SignatureVersion === '1' ? 'sha1' : undefined;
  if (!alg) return false;
  try {
    return verify(alg, Buffer.from(snsStringToSign(m)), key, Buffer.from(m.Signature, 'base64'));
  } catch {
    return false;
  }
}

/** SNS only ever signs with certificates served from sns.<region>.amazonaws.com over https. */
export function plausibleSigningCertUrl(url: unknown): boolean {
  if (typeof url !== 'string') return false;
  try {
    const u = new URL(url);
    return u.protocol === 'https:' && /^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$/.test(u.hostname) && u.pathname.endsWith('.pem');
  } catch {
    return false;
  }
}
