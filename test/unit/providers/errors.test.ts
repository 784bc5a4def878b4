/**
 * Each provider's error-classification table, case by case (docs/provider-facts.md §1, §3–§5, §8).
 * The wire-level behaviour (real SDKs against the fakes) is covered by contract.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { classifyMetaResponse, META_CODES } from '../../../src/providers/meta-whatsapp/errors.js';
import { classifyModuleError } from '../../../src/providers/module/errors.js';
import { classifyNetworkError, kindForStatus, parseRetryAfter } from '../../../src/providers/net/classify.js';
import { classifySesError } from '../../../src/providers/ses/errors.js';
import { classifyTwilioError, TWILIO_CODES } from '../../../src/providers/twilio/errors.js';
import { ProviderError } from '../../../src/providers/contract.js';

const sdk = (name: string, status: number | undefined, message = 'x', code?: string) =>
  Object.assign(new Error(message), { name, ...(status !== undefined ? { $metadata: { httpStatusCode: status } } : {}), ...(code ? { code } : {}) });

describe('SES error table', () => {
  it.each([
    ['TooManyRequestsException', 429, 'Maximum sending rate exceeded.', 'throttled'],
    ['ThrottlingException', 400, 'Rate exceeded', 'throttled'],
    ['LimitExceededException', 400, 'Too many configuration sets', 'fatal'],
    ['AccountSuspendedException', 400, 'suspended', 'fatal'],
    ['SendingPausedException', 400, 'paused', 'fatal'],
    ['MailFromDomainNotVerifiedException', 400, 'x', 'fatal'],
    ['NotFoundException', 404, 'Configuration set does not exist', 'fatal'],
    ['UnrecognizedClientException', 403, 'The security token included in the request is invalid.', 'fatal'],
    ['MessageRejected', 400, 'Transaction failed: Illegal header.', 'content'],
    ['MessageRejected', 400, 'Email address is not verified. The following identities failed the check in region US-EAST-1: ana@example.org', 'recipient'],
    ['MessageRejected', 400, 'Email address is not verified. The following identities failed the check in region US-EAST-1: news@m1.acme.example', 'fatal'],
    ['BadRequestException', 400, 'Illegal address', 'recipient'],
    ['BadRequestException', 400, 'Missing Subject', 'content'],
    ['InternalFailure', 500, 'x', 'ambiguous'],
    ['Unknown', 502, 'Bad gateway', 'ambiguous'],
    ['Unknown', 400, 'aws-ses-v2-local style error without a type', 'content'],
    ['SomethingNew', 429, 'x', 'throttled'],
  ])('%s (HTTP %i, %s) → %s', (name, status, message, kind) => {
    const e = classifySesError(sdk(name, status, message), 'news@m1.acme.example');
    expect(e.kind).toBe(kind);
    expect(e.vendorCode).toBe(name);
    expect(e.httpStatus).toBe(status);
  });

  it('a daily quota throttle is flagged: stop for today, the row stays pending', () => {
    const e = classifySesError(sdk('TooManyRequestsException', 429, 'Daily message quota exceeded.'));
    expect([e.kind, e.dailyQuota]).toEqual(['throttled', true]);
    expect(classifySesError(sdk('LimitExceededException', 400, 'Daily message quota exceeded.')).dailyQuota).toBe(true);
    expect(classifySesError(sdk('TooManyRequestsException', 429, 'Maximum sending rate exceeded.')).dailyQuota).toBeUndefined();
  });

  it.each([
    ['TimeoutError', 'ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1', 'transient'],
    ['Error', 'ENOTFOUND', 'getaddrinfo ENOTFOUND email.eu-west-1.amazonaws.com', 'transient'],
    ['TimeoutError', undefined, '@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 3000 ms.', 'transient'],
    ['TimeoutError', 'ETIMEDOUT', '@smithy/node-http-handler - [ERROR] a request has exceeded the configured 30000 ms requestTimeout.', 'ambiguous'],
    ['TimeoutError', 'ECONNRESET', 'socket hang up', 'ambiguous'],
    ['TimeoutError', 'EPIPE', 'write EPIPE', 'ambiguous'],
    ['CredentialsProviderError', undefined, 'Could not load credentials from any providers', 'fatal'],
  ])('network: %s %s → %s', (name, code, message, kind) => {
    expect(classifySesError(sdk(name, undefined, message, code)).kind).toBe(kind);
  });
});

const rest = (status: number, code?: number, message = 'x', details?: Record<string, unknown>) => Object.assign(new Error(message), { status, code, moreInfo: '', details });

describe('Twilio error table', () => {
  it.each(Object.entries(TWILIO_CODES).map(([code, rule]) => [Number(code), rule.kind, rule.suppress]))('code %i → %s', (code, kind, suppress) => {
    const e = classifyTwilioError(rest(400, code));
    expect(e.kind).toBe(kind);
    expect(e.vendorCode).toBe(String(code));
    expect(e.suppress).toBe(suppress);
  });

  it('21610 (STOP) suppresses the recipient', () => {
    expect(classifyTwilioError(rest(400, 21610)).suppress).toBe('stop_keyword');
  });

  it.each([
    [429, 'throttled'],
    [500, 'ambiguous'],
    [503, 'ambiguous'],
    [401, 'fatal'],
    [403, 'fatal'],
    [400, 'content'],
  ])('an unknown code falls back to its HTTP status %i → %s', (status, kind) => {
    expect(classifyTwilioError(rest(status, 99999)).kind).toBe(kind);
  });

  it('an RFC 9457 TwilioServiceException (status + code) is classified the same way', () => {
    const e = Object.assign(new Error('Too many'), { type: 'https://www.twilio.com/docs/errors/20429', title: 'Too many', status: 429, code: 20429 });
    expect(classifyTwilioError(e).kind).toBe('throttled');
  });

  it('Retry-After carried by the RequestClient becomes retryAfterMs', () => {
    expect(classifyTwilioError(rest(429, 20429, 'Too Many Requests', { mkt_retry_after_ms: 3000 })).retryAfterMs).toBe(3000);
  });

  it.each([
    ['ECONNREFUSED', 'transient'],
    ['ENOTFOUND', 'transient'],
    ['EAI_AGAIN', 'transient'],
    ['ECONNABORTED', 'ambiguous'],
    ['ECONNRESET', 'ambiguous'],
    ['ETIMEDOUT', 'ambiguous'],
  ])('axios network error %s → %s', (code, kind) => {
    expect(classifyTwilioError(Object.assign(new Error(code), { code, isAxiosError: true })).kind).toBe(kind);
  });
});

const metaBody = (code: number, message = 'x') => ({ error: { message, type: 'OAuthException', code, fbtrace_id: 'A' } });

describe('Meta WhatsApp error table', () => {
  it.each(Object.entries(META_CODES).map(([code, rule]) => [Number(code), rule.kind]))('code %i → %s', (code, kind) => {
    expect(classifyMetaResponse(400, metaBody(code)).kind).toBe(kind);
  });

  it('branches on error.code, not on the HTTP status (throttles come as 400 or 429)', () => {
    expect(classifyMetaResponse(400, metaBody(130429)).kind).toBe('throttled');
    expect(classifyMetaResponse(429, metaBody(130429)).kind).toBe('throttled');
  });

  it('131048 (spam rate limit) pauses: fatal, never a throttle the dispatcher would retry', () => {
    const e = classifyMetaResponse(400, metaBody(131048, 'Spam rate limit hit'));
    expect(e.kind).toBe('fatal');
    expect(e.message).toMatch(/pause/);
  });

  it('permission codes 200–299 are fatal; unknown codes fall back to the status', () => {
    expect(classifyMetaResponse(403, metaBody(230)).kind).toBe('fatal');
    expect(classifyMetaResponse(500, metaBody(2)).kind).toBe('ambiguous');
    expect(classifyMetaResponse(400, metaBody(987654)).kind).toBe('content');
    expect(classifyMetaResponse(502, undefined).kind).toBe('ambiguous');
  });

  it('131050 (user stopped marketing) suppresses', () => {
    expect(classifyMetaResponse(400, metaBody(131050)).suppress).toBe('unsubscribed');
  });

  it('keeps error_data.details in the message and honours Retry-After on throttles', () => {
    const e = classifyMetaResponse(400, { error: { code: 130429, message: '(#130429) Rate limit hit', error_data: { details: 'throughput reached' } } }, { 'retry-after': '2' });
    expect(e.message).toContain('throughput reached');
    expect(e.retryAfterMs).toBe(2000);
  });
});

describe('shared rules', () => {
  it('only failures that prove nothing left are transient', () => {
    expect(classifyNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }), 'p').kind).toBe('transient');
    expect(classifyNetworkError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), 'p', false).kind).toBe('transient');
    expect(classifyNetworkError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' }), 'p', true).kind).toBe('ambiguous');
    expect(classifyNetworkError(new Error('weird'), 'p').kind).toBe('ambiguous');
  });

  it('status fallback and Retry-After parsing', () => {
    expect([429, 500, 504, 401, 404, 422].map(kindForStatus)).toEqual(['throttled', 'ambiguous', 'ambiguous', 'fatal', 'fatal', 'content']);
    const now = new Date('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('5', now)).toBe(5000);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('a module error with a valid kind keeps it; other surprises are ambiguous', () => {
    expect(classifyModuleError(Object.assign(new Error('slow down'), { kind: 'throttled', retryAfterMs: 1000 }), 'gw').retryAfterMs).toBe(1000);
    expect(classifyModuleError(new TypeError('x is undefined'), 'gw').kind).toBe('ambiguous');
    const pe = new ProviderError('recipient', 'bad');
    expect(classifyModuleError(pe, 'gw')).toBe(pe);
  });
});
