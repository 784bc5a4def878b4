/**
 * The provider contract (docs/architecture.md). A provider type is a factory that, given its
 * validated config, returns an object that sends one rendered message through one sender.
 * It never retries on its own (SDK retries are switched off): the dispatcher owns retrying.
 */
import type { Channel } from '../channels.js';

/** What went wrong, as the dispatcher needs to know it. See docs/architecture.md and docs/provider-facts.md §8. */
export type ProviderErrorKind =
  | 'throttled' // provider said slow down and did not process: retry later, lower the rate
  | 'transient' // the request provably never reached the provider: retry with backoff
  | 'ambiguous' // it may have been accepted (timeout after send, reset mid-response, 5xx): record unknown
  | 'recipient' // this address is bad / opted out: fail the row, maybe suppress
  | 'content' // the message itself is rejected: pause the campaign
  | 'fatal'; // credentials, suspended account, quota: pause at once

export interface ProviderErrorOptions {
  /** The vendor's own error code or name, kept next to our kind (e.g. 21610, TooManyRequestsException, 131056). */
  vendorCode?: string;
  httpStatus?: number;
  /** How long the provider asked us to wait, when it said. */
  retryAfterMs?: number;
  /** A recipient error that means "opted out": the dispatcher adds a suppression. */
  suppress?: 'stop_keyword' | 'unsubscribed' | 'bounced' | 'complained';
  /** A throttle or fatal error that means "daily quota reached": stop for today (exit 75). */
  dailyQuota?: boolean;
  cause?: unknown;
}

export class ProviderError extends Error {
  readonly kind: ProviderErrorKind;
  readonly vendorCode?: string;
  readonly httpStatus?: number;
  readonly retryAfterMs?: number;
  readonly suppress?: ProviderErrorOptions['suppress'];
  readonly dailyQuota?: boolean;

  constructor(kind: ProviderErrorKind, message: string, options: ProviderErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ProviderError';
    this.kind = kind;
    this.vendorCode = options.vendorCode;
    this.httpStatus = options.httpStatus;
    this.retryAfterMs = options.retryAfterMs;
    this.suppress = options.suppress;
    this.dailyQuota = options.dailyQuota;
  }
}

/** Identifies one attempt of one ledger row; echoed back by providers where they allow (tags, callback data). */
export interface MessageRef {
  campaign: string;
  campaignId: number;
  recipientId: number;
  attempt: number;
  /** `c<campaignId>_r<recipientId>_a<attempt>`: safe for SES tags, Twilio callback queries, Meta callback data. */
  deliveryRef: string;
}

export interface EmailMessage {
  channel: 'email';
  /** Normalised recipient address. */
  to: string;
  subject: string;
  html: string;
  text: string;
  fromName?: string;
  replyTo?: string;
  /** Extra headers, e.g. List-Unsubscribe and List-Unsubscribe-Post. */
  headers: Array<{ name: string; value: string }>;
  ref: MessageRef;
}

export interface SmsMessage {
  channel: 'sms';
  /** E.164. */
  to: string;
  body: string;
  ref: MessageRef;
}

/** A Meta Cloud API `template` object: name, language and components with their parameters. */
export interface MetaTemplatePayload {
  name: string;
  language: { code: string };
  components: Array<Record<string, unknown>>;
}

export interface WhatsAppMessage {
  channel: 'whatsapp';
  /** E.164. */
  to: string;
  /** Human-readable preview of the approved body with its parameters filled in. */
  text: string;
  meta: MetaTemplatePayload;
  twilio: { contentSid?: string; contentVariables: string };
  /**
   * Send `text` as a free-form session message instead of the template (only inside WhatsApp's
   * 24-hour customer-service window; used by `mkt provider test --text`).
   */
  freeform?: boolean;
  ref: MessageRef;
}

export type OutgoingMessage = EmailMessage | SmsMessage | WhatsAppMessage;

export interface SendResult {
  providerMessageId: string;
}

export interface CheckResult {
  ok: boolean;
  /** What the live read-only call said (quota, account status …); never secrets. */
  details: Record<string, unknown>;
}

export interface Provider {
  readonly name: string;
  readonly type: string;
  readonly channel: Channel;
  /** Sends one message through one sender (address, number or phone-number id). Throws ProviderError. */
  send(message: OutgoingMessage, sender: string): Promise<SendResult>;
  /** A live read-only call that proves config and credentials work. */
  check?(): Promise<CheckResult>;
  close?(): Promise<void>;
}
