/**
 * What the fake providers send back after a message: the webhooks a real account would post
 * to `mkt serve` about the receipts a fake recorded.
 *
 *   await emitSesEvents(serveBase + '/feedback/ses', sesReceipt, [{ type: 'Open' }, { type: 'Click', link: 'https://…' }], { topicArn })
 *   await emitTwilioStatus(serveBase, twilioReceipt, 'delivered', { authToken })     // signed, to the receipt's StatusCallback path
 *   await emitMetaStatus(serveBase + '/feedback/meta', metaReceipt, 'read', { appSecret })
 *
 * SES events arrive as SNS Notifications (the SES event JSON as `Message`), with the send's
 * tags (our `delivery` ref) under `mail.tags`, as SES event publishing sends them.
 * Each returns the HTTP status mkt answered.
 */
import { createHmac } from 'node:crypto';
import twilio from 'twilio';
import type { MetaReceipt } from './meta.js';
import type { SesReceipt } from './ses.js';
import type { TwilioReceipt } from './twilio.js';

export type SesEventSpec =
  | { type: 'Open'; userAgent?: string; at?: string }
  | { type: 'Click'; link: string; userAgent?: string; at?: string }
  | { type: 'Delivery'; at?: string }
  | { type: 'Rendering Failure'; at?: string };

let snsSerial = 0;
/** A person's desktop browser (Apple Mail's bare WebKit agent would count as a machine open). */
const BROWSER = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36';

/** The SES event (event publishing shape) a configuration set would publish for this receipt. */
export function sesEvent(receipt: SesReceipt, e: SesEventSpec): Record<string, unknown> {
  const at = e.at ?? new Date().toISOString();
  const mail = {
    timestamp: at,
    messageId: receipt.messageId,
    source: receipt.from,
    destination: receipt.to,
    tags: Object.fromEntries(Object.entries(receipt.tags).map(([k, v]) => [k, [v]])),
  };
  switch (e.type) {
    case 'Open':
      return { eventType: 'Open', mail, open: { timestamp: at, userAgent: e.userAgent ?? BROWSER, ipAddress: '192.0.2.1' } };
    case 'Click':
      return { eventType: 'Click', mail, click: { timestamp: at, link: e.link, linkTags: {}, userAgent: e.userAgent ?? BROWSER, ipAddress: '192.0.2.1' } };
    case 'Delivery':
      return { eventType: 'Delivery', mail, delivery: { timestamp: at, recipients: receipt.to, smtpResponse: '250 ok' } };
    case 'Rendering Failure':
      return { eventType: 'Rendering Failure', mail, failure: { errorMessage: 'Attribute missing', templateName: 't' } };
  }
}

/** An SNS Notification envelope around one SES event (unsigned: pin no `signing_cert` to accept it). */
export function snsEnvelope(message: unknown, topicArn: string): Record<string, unknown> {
  return {
    Type: 'Notification',
    MessageId: `fake-sns-${++snsSerial}`,
    TopicArn: topicArn,
    Message: JSON.stringify(message),
    Timestamp: new Date().toISOString(),
    SignatureVersion: '2',
  };
}

export async function emitSesEvents(url: string, receipt: SesReceipt, events: SesEventSpec[], opts: { topicArn: string }): Promise<number[]> {
  const statuses: number[] = [];
  for (const e of events) {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' }, body: JSON.stringify(snsEnvelope(sesEvent(receipt, e), opts.topicArn)) });
    statuses.push(res.status);
  }
  return statuses;
}

/**
 * A Twilio status callback for a receipt, signed with the auth token over the URL Twilio was
 * given (`StatusCallback`, e.g. behind a proxy), and posted to the same path and query on `base`.
 */
export async function emitTwilioStatus(base: string, receipt: TwilioReceipt, status: 'queued' | 'sent' | 'delivered' | 'undelivered' | 'failed' | 'read', opts: { authToken: string; accountSid?: string; errorCode?: string }): Promise<number> {
  if (!receipt.statusCallback) throw new Error('the message was sent without a StatusCallback');
  const params: Record<string, string> = { MessageSid: receipt.sid, MessageStatus: status, To: receipt.to, From: receipt.from ?? '', AccountSid: opts.accountSid ?? '', ...(opts.errorCode ? { ErrorCode: opts.errorCode } : {}) };
  const url = new URL(receipt.statusCallback);
  const res = await fetch(base + url.pathname + url.search, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(opts.authToken, receipt.statusCallback, params) },
    body: new URLSearchParams(params).toString(),
  });
  return res.status;
}

/** The body of a WhatsApp Cloud API status webhook for one receipt (our ref echoed back). */
export function metaStatusWebhook(receipt: MetaReceipt, status: 'sent' | 'delivered' | 'read' | 'failed', at = Date.now()): Record<string, unknown> {
  return {
    object: 'whatsapp_business_account',
    entry: [
      {
        id: 'WABA_ID',
        changes: [
          {
            field: 'messages',
            value: {
              messaging_product: 'whatsapp',
              metadata: { phone_number_id: receipt.phoneNumberId },
              statuses: [{ id: receipt.id, status, timestamp: String(Math.floor(at / 1000)), recipient_id: receipt.to.replace(/^\+/, ''), biz_opaque_callback_data: receipt.bizOpaqueCallbackData }],
            },
          },
        ],
      },
    ],
  };
}

export async function emitMetaStatus(url: string, receipt: MetaReceipt, status: 'sent' | 'delivered' | 'read' | 'failed', opts: { appSecret: string; at?: number }): Promise<number> {
  const body = JSON.stringify(metaStatusWebhook(receipt, status, opts.at));
  const signature = 'sha256=' + createHmac('sha256', opts.appSecret).update(body).digest('hex');
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature }, body });
  return res.status;
}
