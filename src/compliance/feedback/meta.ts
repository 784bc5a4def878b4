/**
 * Meta WhatsApp Cloud API webhooks: `entry[].changes[].value.statuses[]` (sent / delivered /
 * read / failed with `errors[]`, our delivery ref echoed in `biz_opaque_callback_data`) and
 * inbound `messages[]` (a text that is exactly a STOP or START keyword).
 */
import { normalisePhone } from '../../customers/address.js';
import { badPayload, timeOf, type DeliveryStatus, type FeedbackEvent } from './event.js';
import { parseDeliveryRef } from '../../providers/delivery-ref.js';
import { keywordOf } from './keywords.js';

type Obj = Record<string, unknown>;
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.filter((x): x is Obj => Boolean(x) && typeof x === 'object') : []);

const STATUS: Record<string, DeliveryStatus> = { sent: 'sent', delivered: 'delivered', read: 'read', failed: 'failed' };

/** The user stopped marketing messages from this business. */
const STOPPED_MARKETING = '131050';

const waAddress = (id: unknown) => (typeof id === 'string' || typeof id === 'number' ? normalisePhone(`+${String(id).replace(/^\+/, '')}`) : undefined);

export function parseMeta(payload: Obj): FeedbackEvent[] {
  if (!Array.isArray(payload.entry)) throw badPayload('meta', 'a webhook has an `entry` list');
  const events: FeedbackEvent[] = [];
  for (const entry of list(payload.entry))
    for (const change of list(entry.changes)) {
      const value = (change.value ?? {}) as Obj;
      for (const s of list(value.statuses)) {
        const address = waAddress(s.recipient_id);
        const code = list(s.errors)[0]?.code;
        const codeText = code === undefined ? undefined : String(code);
        const status = typeof s.status === 'string' ? STATUS[s.status] : undefined;
        events.push({
          source: 'meta',
          kind: 'status',
          providerMessageId: typeof s.id === 'string' ? s.id : undefined,
          ref: parseDeliveryRef(s.biz_opaque_callback_data),
          ...(status ? { status } : {}),
          ...(typeof s.status === 'string' ? { type: s.status } : {}),
          at: timeOf(s.timestamp),
          address,
          code: codeText,
          suppress: codeText === STOPPED_MARKETING && address ? [{ channel: 'whatsapp', address, reason: 'unsubscribed' }] : [],
          payload: JSON.stringify(s),
        });
      }
      for (const m of list(value.messages)) {
        const address = waAddress(m.from);
        const keyword = keywordOf((m.text as Obj | undefined)?.body ?? (m.button as Obj | undefined)?.text);
        const base: FeedbackEvent = { source: 'meta', kind: 'inbound', providerMessageId: typeof m.id === 'string' ? m.id : undefined, address, payload: JSON.stringify(m) };
        if (!address || !keyword) events.push(base);
        else if (keyword === 'stop') events.push({ ...base, kind: 'stop', suppress: [{ channel: 'whatsapp', address, reason: 'stop_keyword' }] });
        else events.push({ ...base, kind: 'start', lift: [{ channel: 'whatsapp', address }] });
      }
    }
  return events;
}
