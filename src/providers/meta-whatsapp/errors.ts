/**
 * Meta WhatsApp Cloud API error codes → ProviderError kinds (docs/provider-facts.md §5, §8). Branch on
 * `error.code`, never on message, subcode or HTTP status (sources disagree whether throttling is
 * 400 or 429). Webhook-only codes are listed too, for status processing.
 */
import { ProviderError, type ProviderErrorKind, type ProviderErrorOptions } from '../contract.js';
import { kindForStatus, messageOf, parseRetryAfter } from '../net/classify.js';

export interface MetaCodeRule {
  kind: ProviderErrorKind;
  suppress?: ProviderErrorOptions['suppress'];
  /** 131048 looks like throttling but means "pause": the dispatcher must never retry it on its own. */
  pause?: boolean;
}

export const META_CODES: Record<number, MetaCodeRule> = {
  // retry later: Meta did not process it
  130429: { kind: 'throttled' }, // throughput reached
  4: { kind: 'throttled' }, // app call rate limit
  80007: { kind: 'throttled' }, // WABA rate limit
  131056: { kind: 'throttled' }, // pair rate limit: this recipient, later
  131057: { kind: 'throttled' }, // number being upgraded
  // spam rate limit (quality restriction): pause the campaign, never auto-retry
  131048: { kind: 'fatal', pause: true },
  // fix the payload
  132000: { kind: 'content' }, // parameter count mismatch
  132001: { kind: 'content' }, // template missing in that language / not approved
  132005: { kind: 'content' }, // translated text too long
  132007: { kind: 'content' }, // template format policy violated
  132012: { kind: 'content' }, // parameter format mismatch
  131009: { kind: 'content' }, // parameter value invalid
  100: { kind: 'content' }, // invalid parameter
  // abort: credentials, permissions, account
  0: { kind: 'fatal' },
  3: { kind: 'fatal' },
  10: { kind: 'fatal' },
  190: { kind: 'fatal' }, // access token expired / invalid
  368: { kind: 'fatal' }, // temporarily blocked for policy violations
  131031: { kind: 'fatal' }, // account locked
  131042: { kind: 'fatal' }, // payment issue
  133010: { kind: 'fatal' }, // phone number not registered
  // the recipient (mostly by webhook)
  131026: { kind: 'recipient' }, // undeliverable
  131047: { kind: 'recipient' }, // >24 h since the user's last reply
  131049: { kind: 'recipient' }, // withheld for engagement: no retry within 24 h
  131050: { kind: 'recipient', suppress: 'unsubscribed' }, // user stopped marketing messages
  130472: { kind: 'recipient' }, // experiment
  131021: { kind: 'recipient' }, // recipient is the sender
};

export function metaRule(code: number): MetaCodeRule | undefined {
  if (META_CODES[code]) return META_CODES[code];
  if (code >= 200 && code <= 299) return { kind: 'fatal' }; // permission errors
  return undefined;
}

export interface MetaErrorBody {
  error?: { code?: number; message?: string; type?: string; error_subcode?: number; error_data?: { details?: string }; fbtrace_id?: string };
}

export function classifyMetaResponse(status: number, body: unknown, headers: Record<string, string | string[] | undefined> = {}): ProviderError {
  const e = (body as MetaErrorBody | undefined)?.error;
  const code = typeof e?.code === 'number' ? e.code : undefined;
  const rule = code !== undefined ? metaRule(code) : undefined;
  const kind = rule?.kind ?? kindForStatus(status);
  const details = e?.error_data?.details ? ` (${e.error_data.details})` : '';
  const retryAfterMs = kind === 'throttled' ? parseRetryAfter(headers['retry-after']) : undefined;
  const text = messageOf(`${e?.message ?? 'HTTP ' + status}${details}`);
  return new ProviderError(kind, `meta-whatsapp: ${code ?? 'HTTP ' + status}: ${text}${rule?.pause ? ' — spam rate limit: pause the campaign, do not retry' : ''}`, {
    vendorCode: code !== undefined ? String(code) : undefined,
    httpStatus: status,
    ...(rule?.suppress ? { suppress: rule.suppress } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  });
}
