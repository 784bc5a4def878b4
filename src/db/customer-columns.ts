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
