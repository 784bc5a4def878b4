/**
 * Amazon SES v2 errors → ProviderError kinds (docs/provider-facts.md §1 and §8). The SDK names an
 * error from `x-amzn-ErrorType` / body `code` / `__type`; `$metadata.httpStatusCode` is set
 * whenever SES answered at all.
 */
import { ProviderError, type ProviderErrorKind } from '../contract.js';
import { classifyNetworkError, kindForStatus, messageOf } from '../net/classify.js';

export const SES_ERROR_KINDS: Record<string, ProviderErrorKind> = {
  // SES dropped the request: back off (SES sends no Retry-After)
  TooManyRequestsException: 'throttled',
  ThrottlingException: 'throttled',
  Throttling: 'throttled',
  // a resource limit: configuration, retrying does not help (the SDK would have retried it)
  LimitExceededException: 'fatal',
  AccountSuspendedException: 'fatal',
  SendingPausedException: 'fatal',
  MailFromDomainNotVerifiedException: 'fatal',
  NotFoundException: 'fatal',
  AccessDeniedException: 'fatal',
  UnrecognizedClientException: 'fatal',
  InvalidClientTokenId: 'fatal',
  InvalidSignatureException: 'fatal',
  SignatureDoesNotMatch: 'fatal',
  ExpiredTokenException: 'fatal',
  MissingAuthenticationTokenException: 'fatal',
  // refined by the message below
  MessageRejected: 'content',
  BadRequestException: 'content',
  // SES failed on its side: it may or may not have taken the message
  InternalFailure: 'ambiguous',
  InternalServiceErrorException: 'ambiguous',
  ServiceUnavailable: 'ambiguous',
};

interface SdkError {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** `sender` is the From address, to tell an unverified sender (fatal) from an unverified recipient. */
export function classifySesError(err: unknown, sender?: string): ProviderError {
  const e = (err ?? {}) as SdkError;
  const status = e.$metadata?.httpStatusCode;
  const name = e.name ?? 'Error';
  const text = messageOf(err);
  if (status === undefined) {
    if (name === 'CredentialsProviderError') return new ProviderError('fatal', `ses: no AWS credentials: ${text}`, { vendorCode: name, cause: err });
    // smithy's connect timeout: the socket never connected, so nothing was sent
    if (name === 'TimeoutError' && /did not establish a connection/.test(text)) {
      return classifyNetworkError(err, 'ses', false);
    }
    return classifyNetworkError(err, 'ses');
  }
  let kind: ProviderErrorKind = SES_ERROR_KINDS[name] ?? kindForStatus(status);
  let dailyQuota = false;
  if ((kind === 'throttled' || name === 'LimitExceededException') && /daily/i.test(text)) {
    // "Daily message quota exceeded": nothing more goes out today, the row stays pending
    kind = 'throttled';
    dailyQuota = true;
  } else if (name === 'MessageRejected' && /not verified/i.test(text)) {
    // Sandbox: "Email address is not verified. The following identities failed the check …: a, b"
    const failing = (text.split(':').pop() ?? '').toLowerCase();
    kind = sender && failing.includes(sender.toLowerCase()) ? 'fatal' : 'recipient';
  } else if (name === 'BadRequestException' && /address|recipient|destination|mailbox/i.test(text)) {
    kind = 'recipient';
  }
  return new ProviderError(kind, `ses: ${name} (HTTP ${status}): ${text}`, {
    vendorCode: name,
    httpStatus: status,
    ...(dailyQuota ? { dailyQuota } : {}),
    cause: err,
  });
}
