/**
 * Customers rows out of PostgreSQL in the shape the SQLite store gives (CustomerRow: 0/1
 * opt-ins, attributes as JSON text), so the layers above never see which store they talk to.
 */
import { CUSTOMER_ROW_COLUMNS, type CustomerRow } from '../customer-columns.js';
import type { customers } from './schema.js';

type PgCustomer = typeof customers.$inferSelect;

export const toRow = (c: PgCustomer): CustomerRow => ({
  ...c,
  emailOptIn: c.emailOptIn ? 1 : 0,
  smsOptIn: c.smsOptIn ? 1 : 0,
  whatsappOptIn: c.whatsappOptIn ? 1 : 0,
  attributes: JSON.stringify(c.attributes),
});

/** CUSTOMER_ROW_COLUMNS for raw PostgreSQL SQL: the camelCase aliases quoted (PostgreSQL folds bare names to lower case). */
export const PG_CUSTOMER_ROW_COLUMNS = CUSTOMER_ROW_COLUMNS.replace(/ AS (\w+)/g, ' AS "$1"');
