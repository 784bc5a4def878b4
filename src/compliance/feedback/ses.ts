/**
 * Amazon SES event notifications, as SNS delivers them (an envelope whose `Message` is the SES
 * event as a JSON string) or bare (SQS raw delivery, Firehose exports). Both the event
 * publishing shape (`eventType`) and identity notifications (`notificationType`) are read.
 *
 * Permanent bounce → suppress `bounced`; complaint → suppress `complained`; transient or
 * undetermined bounce → ledger only (`deferred`), no suppression; delivery → `delivered`.
 */
import { normaliseEmail } from '../../customers/address.js';
import { badPayload, timeOf, type FeedbackEngagement, type FeedbackEvent } from './event.js';
import { classify, userAgentClass } from '../machine.js';
import { parseDeliveryRef } from '../../providers/delivery-ref.js';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);

/** The SES event inside an SNS envelope, or the object itself when it is one already. */
export function sesMessageOf(payload: Obj): Obj {
  if (typeof payload.Type === 'string' && typeof payload.Message === 'string') {
    try {
      const inner = JSON.parse(payload.Message) as unknown;
      const o = obj(inner);
      if (!o) throw new Error('not an object');
      return o;
    } catch {
      throw badPayload('ses', 'the SNS Message is not a JSON object');
    }
  }
  return payload;
}

export function parseSes(payload: Obj): FeedbackEvent[] {
  if (payload.Type === 'SubscriptionConfirmation' || payload.Type === 'UnsubscribeConfirmation') {
    return [{ source: 'ses', kind: 'subscription', payload: JSON.stringify(payload) }];
  }
  const msg = sesMessageOf(payload);
  const type = String(msg.eventType ?? msg.notificationType ?? '');
  if (!type) throw badPayload('ses', 'no eventType or notificationType');
  const mail = obj(msg.mail) ?? {};
  const providerMessageId = typeof mail.messageId === 'string' ? mail.messageId : undefined;
  const tags = obj(mail.tags);
  const refTag: unknown = tags && Array.isArray(tags.delivery) ? tags.delivery[0] : undefined;
  const ref = parseDeliveryRef(refTag);
  const raw = JSON.stringify(msg);
  const base = { source: 'ses' as const, providerMessageId, ref, payload: raw, type };
  const recipientsOf = (list: unknown, key = 'emailAddress') =>
    (Array.isArray(list) ? list : [])
      .map((r) => (typeof r === 'string' ? r : String(obj(r)?.[key] ?? '')))
      .map((a) => normaliseEmail(a.replace(/^.*<([^>]+)>.*$/, '$1')))
      .filter((a): a is string => Boolean(a));
  switch (type) {
    case 'Bounce': {
      const b = obj(msg.bounce) ?? {};
      const permanent = b.bounceType === 'Permanent';
      const addresses = recipientsOf(b.bouncedRecipients);
      return [
        {
          ...base,
          kind: 'bounce',
          status: permanent ? 'bounced' : 'deferred',
          at: timeOf(b.timestamp),
          address: addresses[0],
          code: `${String(b.bounceType ?? 'Undetermined')}/${String(b.bounceSubType ?? '')}`,
          suppress: permanent ? addresses.map((address) => ({ channel: 'email' as const, address, reason: 'bounced' })) : [],
        },
      ];
    }
    case 'Complaint': {
      const c = obj(msg.complaint) ?? {};
      const addresses = recipientsOf(c.complainedRecipients);
      return [
        {
          ...base,
          kind: 'complaint',
          status: 'complained',
          at: timeOf(c.timestamp),
          address: addresses[0],
          code: typeof c.complaintFeedbackType === 'string' ? c.complaintFeedbackType : undefined,
          suppress: addresses.map((address) => ({ channel: 'email' as const, address, reason: 'complained' })),
        },
      ];
    }
    case 'Delivery': {
      const d = obj(msg.delivery) ?? {};
      return [{ ...base, kind: 'delivery', status: 'delivered', at: timeOf(d.timestamp), address: recipientsOf(d.recipients)[0] }];
    }
    case 'Send':
      return [{ ...base, kind: 'send', status: 'sent', at: timeOf(mail.timestamp) }];
    case 'Reject':
      return [{ ...base, kind: 'reject', status: 'failed', at: timeOf(mail.timestamp), code: String(obj(msg.reject)?.reason ?? 'rejected') }];
    case 'DeliveryDelay':
      return [{ ...base, kind: 'delay', status: 'deferred', at: timeOf(obj(msg.deliveryDelay)?.timestamp) }];
    case 'Open': {
      // SES's own open pixel (a configuration set with open tracking)
      const o = obj(msg.open) ?? {};
      return [{ ...base, kind: 'open', engagement: { kind: 'open', ...machineOf('open', o.userAgent) }, at: timeOf(o.timestamp) }];
    }
    case 'Click': {
      const c = obj(msg.click) ?? {};
      const url = typeof c.link === 'string' ? c.link : undefined;
      return [{ ...base, kind: 'click', engagement: { kind: 'click', ...(url ? { url } : {}), ...machineOf('click', c.userAgent) }, at: timeOf(c.timestamp) }];
    }
    default:
      // Rendering Failure, Subscription …: kept for audit, no state change (counted as ignored)
      return [{ ...base, kind: type.toLowerCase() }];
  }
}

/**
 * The user-agent rules `mkt serve` applies to its own hits (src/compliance/machine.ts): a mailbox
 * proxy's or Apple Mail's open, a link scanner's click. The timing rules need no SES help: SES
 * reports opens and clicks of its own tracking, whose timing mkt does not see at delivery.
 */
function machineOf(kind: 'open' | 'click', userAgent: unknown): Pick<FeedbackEngagement, 'machine' | 'reason'> {
  const verdict = classify({ kind, head: false, ua: userAgentClass(typeof userAgent === 'string' ? userAgent : undefined), at: 0, windowMs: 0 });
  return verdict.machine ? { machine: true, reason: verdict.reason } : {};
}
