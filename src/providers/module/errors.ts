/**
 * What a user module's failure means. A module should throw `ctx.ProviderError` (or any error
 * with a valid `kind`); anything else is classified conservatively: a network code that proves
 * nothing left is transient, every other surprise is ambiguous (it may have sent).
 */
import { ProviderError, type ProviderErrorKind } from '../contract.js';
import { classifyNetworkError, messageOf } from '../net/classify.js';

const KINDS = new Set<ProviderErrorKind>(['throttled', 'transient', 'ambiguous', 'recipient', 'content', 'fatal']);

export function classifyModuleError(err: unknown, provider: string): ProviderError {
  if (err instanceof ProviderError) return err;
  const e = err as { kind?: unknown; vendorCode?: unknown; httpStatus?: unknown; retryAfterMs?: unknown; suppress?: unknown; dailyQuota?: unknown } | null;
  if (e && typeof e === 'object' && typeof e.kind === 'string' && KINDS.has(e.kind as ProviderErrorKind)) {
    return new ProviderError(e.kind as ProviderErrorKind, `${provider}: ${messageOf(err)}`, {
      ...(e.vendorCode !== undefined ? { vendorCode: String(e.vendorCode) } : {}),
      ...(typeof e.httpStatus === 'number' ? { httpStatus: e.httpStatus } : {}),
      ...(typeof e.retryAfterMs === 'number' ? { retryAfterMs: e.retryAfterMs } : {}),
      ...(typeof e.suppress === 'string' ? { suppress: e.suppress as ProviderError['suppress'] } : {}),
      ...(e.dailyQuota === true ? { dailyQuota: true } : {}),
      cause: err,
    });
  }
  return classifyNetworkError(err, provider);
}
