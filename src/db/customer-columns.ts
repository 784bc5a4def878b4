/**
 * The customers table as the rest of mkt sees it: the row type drizzle infers (`CustomerRow`),
 * the columns raw SQL selects under those names, and the columns an import fills. Kept here so
 * that src/db depends on nothing above it: customers/, segments/ and campaigns/ import these.
 */
import type { customers } from './schema.js';

/** One customers row under drizzle's camelCase names (times in epoch ms, booleans 0/1). */
export type CustomerRow = typeof customers.$inferSelect;

/**
 * The customers columns selected under the names drizzle gives them (CustomerRow), so raw
 * SQL results can go through the same `toRecord` as builder results. `c` is the table alias.
 */
export const CUSTOMER_ROW_COLUMNS = `c.id AS id, c.external_id AS externalId, c.email AS email, c.phone AS phone,
  c.first_name AS firstName, c.last_name AS lastName, c.country AS country, c.timezone AS timezone,
  c.locale AS locale, c.lifetime_value AS lifetimeValue, c.order_count AS orderCount,
  c.last_order_at AS lastOrderAt, c.created_at AS createdAt, c.email_opt_in AS emailOptIn,
  c.sms_opt_in AS smsOptIn, c.whatsapp_opt_in AS whatsappOptIn, c.attributes AS attributes,
  c.updated_at AS updatedAt`;

/** The columns an import or a seed fills from a source row (snake_case, as in the table). */
export const CUSTOMER_INPUT_COLUMNS = [
  'external_id',
  'email',
  'phone',
  'first_name',
  'last_name',
  'country',
  'timezone',
  'locale',
  'lifetime_value',
  'order_count',
  'last_order_at',
  'created_at',
  'email_opt_in',
  'sms_opt_in',
  'whatsapp_opt_in',
] as const;

export type CustomerInputColumn = (typeof CUSTOMER_INPUT_COLUMNS)[number];

/** What an import compares and writes: the input columns and the attributes JSON (not id, updated_at). */
export const CUSTOMER_DATA_COLUMNS = [...CUSTOMER_INPUT_COLUMNS, 'attributes'] as const;

/** A customers row as SQLite returns it to `SELECT *` (snake_case columns). */
export interface StoredCustomer {
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
  last_order_at: number | null;
  created_at: number;
  email_opt_in: number;
  sms_opt_in: number;
  whatsapp_opt_in: number;
  attributes: string;
  updated_at: number;
}
