/**
 * Twilio webhooks: status callbacks (`MessageSid`, `MessageStatus`, `ErrorCode`; the delivery
 * ref rides in the callback URL's `d` query parameter) and inbound messages (`From`, `Body`)
 * carrying STOP-family or START-family keywords.
 */
import type { Channel } from '../../channels.js';
import { normalisePhone } from '../../customers/address.js';
import { badPayload, type DeliveryStatus, type FeedbackEvent } from './event.js';
import { parseDeliveryRef } from '../../providers/delivery-ref.js';
import { keywordOf } from './keywords.js';

type Params = Record<string, unknown>;

const STATUS: Record<string, DeliveryStatus> = { sent: 'sent', delivered: 'delivered', undelivered: 'undelivered', failed: 'failed', read: 'read' };

const channelOf = (address: unknown): Channel => (typeof address === 'string' && /^whatsapp:/i.test(address) ? 'whatsapp' : 'sms');

/** Twilio's opt-out code: the recipient texted STOP to this sender earlier. */
const OPTED_OUT = '21610';

export function parseTwilioStatus(p: Params, ref?: string): FeedbackEvent[] {
  const sid = p.MessageSid ?? p.SmsSid;
  const statusText = p.MessageStatus ?? p.SmsStatus;
  if (typeof sid !== 'string' || typeof statusText !== 'string') throw badPayload('twilio', 'a status callback has MessageSid and MessageStatus');
  const status = STATUS[statusText];
  const code = p.ErrorCode === undefined || p.ErrorCode === '' ? undefined : String(p.ErrorCode);
  const channel = channelOf(p.To);
  const address = typeof p.To === 'string' ? normalisePhone(p.To) : undefined;
  return [
    {
      source: 'twilio',
      kind: 'status',
      providerMessageId: sid,
      ref: parseDeliveryRef(ref ?? p.d),
      ...(status ? { status } : {}),
      type: statusText,
      address,
      code,
      suppress: code === OPTED_OUT && address ? [{ channel, address, reason: 'stop_keyword' }] : [],
      payload: JSON.stringify(p),
    },
  ];
}

export function parseTwilioInbound(p: Params): FeedbackEvent[] {
  if (typeof p.From !== 'string' || p.Body === undefined) throw badPayload('twilio', 'an inbound message has From and Body');
  const channel = channelOf(p.From);
  const address = normalisePhone(p.From);
  const keyword = keywordOf(p.Body);
  const base: FeedbackEvent = { source: 'twilio', kind: 'inbound', providerMessageId: typeof p.MessageSid === 'string' ? p.MessageSid : undefined, address, payload: JSON.stringify(p) };
  if (!address || !keyword) return [base];
  return [keyword === 'stop' ? { ...base, kind: 'stop', suppress: [{ channel, address, reason: 'stop_keyword' }] } : { ...base, kind: 'start', lift: [{ channel, address }] }];
}

/** Either kind, told apart by its fields (for `feedback import`). */
export function parseTwilio(p: Params): FeedbackEvent[] {
  if (p.MessageStatus !== undefined || p.SmsStatus !== undefined) return parseTwilioStatus(p);
  if (p.Body !== undefined) return parseTwilioInbound(p);
  throw badPayload('twilio', 'neither a status callback (MessageStatus) nor an inbound message (Body)');
}
