/**
 * One person's data, for the people it is about: `customers history` (what they were sent and
 * what came of it), `customers export` (everything mkt holds about them: a data subject access
 * request) and `customers forget` (erasure, keeping only a one-way hash so they are never
 * messaged again). The SQL is behind the CustomerDataStore (src/db/customer-data-store.ts):
 * src/db/customer-data.ts on SQLite, src/db/pg/customer-data.ts on PostgreSQL.
 */
import type { EngagementEventRow, ForgetCounts } from '../db/customer-data.js';
import type { CustomerDataStore } from '../db/customer-data-store.js';
import type { CustomerStore } from '../db/repositories.js';
import { requireCustomer } from './find.js';
import type { CustomerRecord } from './record.js';

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** Suppression reasons that are the person's own choice (the rest are bounces, complaints, an operator). */
const OPT_OUTS = new Set(['unsubscribed', 'stop_keyword']);

export interface MessageEngagement {
  /** `individual`: per-recipient events were kept and are listed; `aggregate`: only campaign counts exist. */
  detail: 'individual' | 'aggregate';
  opens: number;
  machine_opens: number;
  clicks: number;
  machine_clicks: number;
  events: Array<{ kind: string; url: string | null; machine: boolean; reason: string | null; at: string; source: string }>;
}

export interface HistoryMessage {
  campaign: string;
  channel: string;
  address: string;
  state: string;
  sender: string | null;
  sent_at: string | null;
  delivery_status: string | null;
  delivery_at: string | null;
  error_code: string | null;
  engagement: MessageEngagement;
}

export interface CustomerHistory {
  customer: Pick<CustomerRecord, 'id' | 'external_id' | 'email' | 'phone'>;
  messages: HistoryMessage[];
  suppressions: Array<{ channel: string; address: string; reason: string; source: string | null; at: string }>;
  unsubscribes: Array<{ channel: string; address: string; reason: string; at: string }>;
  /** Said once: where engagement is aggregate-only, no per-person opens or clicks exist to show. */
  note: string | null;
}

function engagementFor(events: EngagementEventRow[], individual: boolean): MessageEngagement {
  const count = (kind: string, machine: boolean) => events.filter((e) => e.kind === kind && Boolean(e.machine) === machine).length;
  return {
    detail: individual ? 'individual' : 'aggregate',
    opens: count('open', false),
    machine_opens: count('open', true),
    clicks: count('click', false),
    machine_clicks: count('click', true),
    events: events.map((e) => ({ kind: e.kind, url: e.url, machine: Boolean(e.machine), reason: e.reason, at: iso(e.at)!, source: e.source })),
  };
}

/** `individualByDefault`: mkt.yaml's `tracking.individual` (campaigns may set their own). */
export async function customerHistory(data: CustomerDataStore, customers: Pick<CustomerStore, 'by'>, key: string, individualByDefault = false): Promise<CustomerHistory> {
  const c = await requireCustomer(customers, key);
  const [messages, events, individual, stored] = await Promise.all([data.messages(c.id), data.engagement(c.id), data.individuallyTracked(c.id, individualByDefault), data.suppressions(c)]);
  const suppressions = stored.map((s) => ({ channel: s.channel, address: s.address, reason: s.reason, source: s.source, at: iso(s.created_at)! }));
  const aggregateOnly = messages.some((m) => !individual.has(m.ledger_id));
  return {
    customer: { id: c.id, external_id: c.external_id, email: c.email, phone: c.phone },
    messages: messages.map((m) => ({
      campaign: m.campaign,
      channel: m.channel,
      address: m.address,
      state: m.state,
      sender: m.sender,
      sent_at: iso(m.sent_at),
      delivery_status: m.delivery_status,
      delivery_at: iso(m.delivery_at),
      error_code: m.error_code,
      engagement: engagementFor(
        events.filter((e) => e.ledger_id === m.ledger_id),
        individual.has(m.ledger_id),
      ),
    })),
    suppressions,
    unsubscribes: suppressions.filter((s) => OPT_OUTS.has(s.reason)).map(({ channel, address, reason, at }) => ({ channel, address, reason, at })),
    note: aggregateOnly
      ? 'opens and clicks per person are stored only for campaigns tracked with `tracking.individual: true`; the others keep campaign totals only, so none are shown for them'
      : null,
  };
}

/** Everything mkt holds about one person, as one JSON document (a data subject access request). */
export interface CustomerExport {
  exported_at: string;
  customer: CustomerRecord;
  messages: Array<Omit<HistoryMessage, 'engagement'> & { provider_message_id: string | null }>;
  engagement_events: MessageEngagement['events'];
  suppressions: CustomerHistory['suppressions'];
  provider_feedback: Array<{ source: string; kind: string; provider_message_id: string | null; address: string | null; received_at: string; payload: unknown }>;
  /** What is not in this document and why, so the reader knows it is complete. */
  notes: string[];
}

export async function customerExport(data: CustomerDataStore, customers: Pick<CustomerStore, 'by'>, key: string, now: number, individualByDefault = false): Promise<CustomerExport> {
  const c = await requireCustomer(customers, key);
  const history = await customerHistory(data, customers, key, individualByDefault);
  const [raw, feedback] = await Promise.all([data.messages(c.id), data.feedback(c.id, c)]);
  return {
    exported_at: iso(now)!,
    customer: c,
    messages: history.messages.map(({ engagement: _e, ...m }, i) => ({ ...m, provider_message_id: raw[i]!.provider_message_id })),
    engagement_events: history.messages.flatMap((m) => m.engagement.events),
    suppressions: history.suppressions,
    provider_feedback: feedback.map((f) => ({ ...f, received_at: iso(f.received_at)!, payload: parseJson(f.payload) })),
    notes: [
      'campaign engagement kept as aggregate counts (per campaign, link and hour) names nobody and is not part of this export',
      ...(history.note ? [history.note] : []),
    ],
  };
}

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

export interface ForgetResult extends ForgetCounts {
  customer_id: number;
}

/** Who `forget` would erase (shown in the confirmation question before anything changes). */
export function customerToForget(customers: Pick<CustomerStore, 'by'>, key: string): Promise<CustomerRecord> {
  return requireCustomer(customers, key);
}

export async function forgetCustomer(data: CustomerDataStore, customer: CustomerRecord, now: number): Promise<ForgetResult> {
  return { customer_id: customer.id, ...(await data.forget(customer.id, customer, now)) };
}
