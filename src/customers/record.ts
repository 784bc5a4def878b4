import type { CustomerRow } from '../db/customer-columns.js';

export type { CustomerRow } from '../db/customer-columns.js';

/**
 * A customer as the outside world sees it: snake_case field names (the same names segments
 * filter on and templates personalise with), ISO dates, real booleans, parsed attributes.
 */
export interface CustomerRecord {
  id: number;
  external_id: string | null;
  email: string | null;
  phone: string | null;
  first_name: string | null;
  last_name: string | null;
  country: string | null;
  timezone: string | null;
  locale: string | null;
  lifetime_value: number | null;
  order_count: number | null;
  last_order_at: string | null;
  created_at: string;
  updated_at: string;
  email_opt_in: boolean;
  sms_opt_in: boolean;
  whatsapp_opt_in: boolean;
  attributes: Record<string, unknown>;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/**
 * A JSON value with every object's keys in one defined order, code-point order of the key (as
 * `sort()` orders strings), nested objects too. The stores keep different orders: SQLite the
 * text as written (the file's column order), PostgreSQL's jsonb its own (shorter keys first), so
 * the order is set here, where both stores' attributes become output, and is the same on both.
 */
export function inKeyOrder(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(inKeyOrder);
  if (!value || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(value).sort()) out[k] = inKeyOrder((value as Record<string, unknown>)[k]);
  return out;
}

export function toRecord(row: CustomerRow): CustomerRecord {
  let attributes: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(row.attributes);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) attributes = inKeyOrder(parsed) as Record<string, unknown>;
  } catch {
    // attributes are written only by mkt as JSON objects; an unreadable value shows as empty
  }
  return {
    id: row.id,
    external_id: row.externalId,
    email: row.email,
    phone: row.phone,
    first_name: row.firstName,
    last_name: row.lastName,
    country: row.country,
    timezone: row.timezone,
    locale: row.locale,
    lifetime_value: row.lifetimeValue,
    order_count: row.orderCount,
    last_order_at: iso(row.lastOrderAt),
    created_at: iso(row.createdAt)!,
    updated_at: iso(row.updatedAt)!,
    email_opt_in: row.emailOptIn === 1,
    sms_opt_in: row.smsOptIn === 1,
    whatsapp_opt_in: row.whatsappOptIn === 1,
    attributes,
  };
}
