/**
 * Twilio error codes → ProviderError kinds (docs/provider-facts.md §3, §4, §8). Twilio warns against
 * logic on exact codes (it keeps splitting them), so a code not in the table falls back to the
 * HTTP status class. Callback-only codes are listed too, for status-webhook processing.
 */
import { ProviderError, type ProviderErrorKind, type ProviderErrorOptions } from '../contract.js';
import { classifyNetworkError, errorCode, kindForStatus, messageOf } from '../net/classify.js';
import { wasConnected } from '../net/agents.js';

export interface TwilioCodeRule {
  kind: ProviderErrorKind;
  suppress?: ProviderErrorOptions['suppress'];
}

export const TWILIO_CODES: Record<number, TwilioCodeRule> = {
  // the recipient: fail the row
  21211: { kind: 'recipient' }, // invalid To
  21614: { kind: 'recipient' }, // To is not a mobile number
  21612: { kind: 'recipient' }, // cannot route to this number
  21610: { kind: 'recipient', suppress: 'stop_keyword' }, // recipient replied STOP: suppress, never retry
  30003: { kind: 'recipient' }, // unreachable handset (callback)
  30005: { kind: 'recipient' }, // unknown / inactive number (callback)
  30006: { kind: 'recipient' }, // landline or unreachable carrier (callback)
  63049: { kind: 'recipient' }, // Meta declined the marketing template for this user (e.g. US numbers)
  63032: { kind: 'recipient' }, // WhatsApp marketing experiment: not delivered
  // the message: pause, fix content or registration
  21602: { kind: 'content' }, // body required
  21617: { kind: 'content' }, // body too long
  30007: { kind: 'content' }, // carrier filtering (callback)
  63016: { kind: 'content' }, // WhatsApp free-form outside the window / template not sent as ContentSid
  // slow down: Twilio did not process it
  20429: { kind: 'throttled' }, // REST concurrency limit
  30001: { kind: 'throttled' }, // queue overflow (callback)
  63018: { kind: 'throttled' }, // WhatsApp channel rate limit
  // credentials, account, configuration: pause at once
  20003: { kind: 'fatal' }, // authentication failed (also suspended/closed)
  20005: { kind: 'fatal' }, // account not active
  10001: { kind: 'fatal' }, // account not active
  20404: { kind: 'fatal' }, // resource not found (wrong account or service SID)
  21606: { kind: 'fatal' }, // From is not a valid, SMS-capable number of this account
  21659: { kind: 'fatal' }, // From is not a Twilio number
  21660: { kind: 'fatal' }, // From does not belong to this account
  21705: { kind: 'fatal' }, // messaging service invalid
  30002: { kind: 'fatal' }, // account suspended (callback)
  // unknown error reported by callback: the message did not go out, retry later once
  30008: { kind: 'transient' },
};

interface TwilioLikeError {
  status?: unknown;
  code?: unknown;
  message?: string;
  details?: { mkt_retry_after_ms?: number };
  request?: { socket?: unknown };
}

export function classifyTwilioError(err: unknown): ProviderError {
  const e = (err ?? {}) as TwilioLikeError;
  if (typeof e.status !== 'number') {
    // axios network error: transient only if the socket never finished connecting
    const connected = e.request?.socket === undefined ? undefined : wasConnected(e.request.socket);
    // an AxiosError carries the request config, Basic auth header included: keep only code + message
    const safe = Object.assign(new Error(messageOf(err)), { code: errorCode(err) });
    return classifyNetworkError(safe, 'twilio', connected === false ? false : undefined);
  }
  const code = typeof e.code === 'number' ? e.code : undefined;
  const rule = code !== undefined ? TWILIO_CODES[code] : undefined;
  const kind = rule?.kind ?? kindForStatus(e.status);
  const retryAfterMs = e.details?.mkt_retry_after_ms;
  return new ProviderError(kind, `twilio: ${code ?? 'HTTP ' + e.status}: ${messageOf(err)}`, {
    vendorCode: code !== undefined ? String(code) : undefined,
    httpStatus: e.status,
    ...(rule?.suppress ? { suppress: rule.suppress } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    cause: err,
  });
}
