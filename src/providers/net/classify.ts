/**
 * Classification shared by every HTTP provider (docs/provider-facts.md §8): what a network failure or a
 * bare HTTP status means when the vendor's own code does not say more.
 *
 * The rule that matters: only a failure that proves the request never left is `transient` (safe to
 * resend). Once the connection was open, a reset, a timeout or a 5xx is `ambiguous`: the provider
 * may have accepted the message, and resending could deliver it twice.
 */
import { redact } from '../../util/redact.js';
import { ProviderError, type ProviderErrorKind } from '../contract.js';

/** Failures that happen before a connection exists: the request provably never reached the provider. */
export const NEVER_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'EADDRNOTAVAIL',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_HAS_EXPIRED',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
]);

/** Failures on an open connection: the request may have been read and acted on. */
export const MAYBE_SENT_CODES = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED', 'ESOCKETTIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'UND_ERR_SOCKET']);

/** The first `code` found on an error or its causes. */
export function errorCode(err: unknown): string | undefined {
  for (let e = err as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string') return e.code;
  }
  return undefined;
}

export function messageOf(err: unknown): string {
  return redact(err instanceof Error ? err.message : String(err));
}

/**
 * A failure that got no HTTP response. `connected` says whether a connection was established
 * (undefined = unknown: then only the never-sent codes count as transient).
 */
export function classifyNetworkError(err: unknown, provider: string, connected?: boolean): ProviderError {
  const code = errorCode(err);
  const text = messageOf(err);
  if ((code && NEVER_SENT_CODES.has(code)) || connected === false) {
    return new ProviderError('transient', `${provider}: request never reached the provider (${code ?? 'connect timeout'}): ${text}`, { vendorCode: code, cause: err });
  }
  return new ProviderError('ambiguous', `${provider}: no answer after the request was sent (${code ?? 'network error'}); it may have been accepted: ${text}`, {
    vendorCode: code,
    cause: err,
  });
}

/** What a status means when the body carries no code we know (Twilio warns against exact-code logic). */
export function kindForStatus(status: number): ProviderErrorKind {
  if (status === 429) return 'throttled';
  if (status >= 500) return 'ambiguous';
  if (status === 401 || status === 403 || status === 404) return 'fatal';
  // An unknown 4xx about this message: pausing is the safe default, a person looks at it.
  return 'content';
}

/** `Retry-After` as milliseconds: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | string[] | null | undefined, now: Date = new Date()): number | undefined {
  const v = Array.isArray(value) ? value[0] : value;
  if (!v) return undefined;
  if (/^\d+(\.\d+)?$/.test(v.trim())) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  return Number.isNaN(t) ? undefined : Math.max(0, t - now.getTime());
}
