/**
 * The customer fields an import can fill, the column names that map to them, and how a file's
 * columns are resolved to fields (`--map` first, then known names, else `attributes`).
 */
import { CUSTOMER_INPUT_COLUMNS } from '../db/customer-columns.js';
import { UsageError } from '../errors.js';

/** The customer fields an import can fill: the table's input columns (src/db/customer-columns.ts). */
export const CUSTOMER_FIELDS = CUSTOMER_INPUT_COLUMNS;

export type CustomerField = (typeof CUSTOMER_FIELDS)[number];

/**
 * Column names understood without `--map`, per field. Compared after `columnKey()`: case,
 * spaces, hyphens, dots and underscores do not matter (`E-Mail`, `email_address`, `First Name`).
 */
export const FIELD_ALIASES: Record<CustomerField, readonly string[]> = {
  external_id: ['external_id', 'id', 'customer_id', 'customer_number', 'customer_no', 'user_id', 'ext_id'],
  email: ['email', 'e-mail', 'email_address', 'mail', 'e-mail address'],
  phone: ['phone', 'phone_number', 'mobile', 'mobile_phone', 'mobile_number', 'cell', 'cell_phone', 'telephone', 'tel', 'msisdn'],
  first_name: ['first_name', 'firstname', 'given_name', 'forename'],
  last_name: ['last_name', 'lastname', 'surname', 'family_name'],
  country: ['country', 'country_code'],
  timezone: ['timezone', 'time_zone', 'tz'],
  locale: ['locale', 'language', 'lang'],
  lifetime_value: ['lifetime_value', 'ltv', 'clv', 'customer_lifetime_value', 'total_spent'],
  order_count: ['order_count', 'orders', 'orders_count', 'total_orders', 'number_of_orders'],
  last_order_at: ['last_order_at', 'last_order', 'last_order_date', 'last_purchase_at', 'last_purchase_date'],
  created_at: ['created_at', 'created', 'signup_date', 'signed_up_at', 'customer_since'],
  email_opt_in: ['email_opt_in', 'email_optin', 'email_consent', 'accepts_email_marketing', 'accepts_marketing', 'newsletter'],
  sms_opt_in: ['sms_opt_in', 'sms_optin', 'sms_consent', 'accepts_sms_marketing'],
  whatsapp_opt_in: ['whatsapp_opt_in', 'whatsapp_optin', 'whatsapp_consent'],
};

/** The comparison key of a column name: lower case without spaces, `-`, `_` or `.`. */
export function columnKey(name: string): string {
  return name.trim().toLowerCase().replace(/[\s\-_.]+/g, '');
}

const KNOWN = new Map<string, CustomerField>();
for (const field of CUSTOMER_FIELDS) for (const alias of FIELD_ALIASES[field]) KNOWN.set(columnKey(alias), field);

/** Where one source column goes. */
export type ColumnTarget = { kind: 'field'; field: CustomerField } | { kind: 'attribute'; name: string } | { kind: 'ignore' };

/** `--map` entries, keyed by `columnKey()` of the source column (`source`: as the user wrote it). */
export type ColumnMap = Map<string, ColumnTarget & { source?: string }>;

/**
 * Parses `--map "Source Column=field"` options. The target is a customer field name (or one of
 * its aliases), `attributes.<name>` to keep the column as that attribute, or `-` to skip it.
 */
export function parseColumnMap(specs: readonly string[]): ColumnMap {
  const map: ColumnMap = new Map();
  for (const spec of specs) {
    const entry = parseMapEntry(spec);
    if ('problem' in entry) throw new UsageError(`--map "${spec}": ${entry.problem}`);
    map.set(columnKey(entry.source), { ...entry.target, source: entry.source });
  }
  return map;
}

/** Why one `--map` value is not "Source Column=field", or undefined when it is one (the flag's check). */
export function mapEntryProblem(spec: string): string | undefined {
  const entry = parseMapEntry(spec);
  return 'problem' in entry ? entry.problem : undefined;
}

function parseMapEntry(spec: string): { source: string; target: ColumnTarget } | { problem: string } {
  const eq = spec.lastIndexOf('=');
  const source = eq > 0 ? spec.slice(0, eq).trim() : '';
  const target = eq > 0 ? spec.slice(eq + 1).trim() : '';
  if (!source || !target) return { problem: 'expected "Source Column=field"' };
  if (target === '-') return { source, target: { kind: 'ignore' } };
  const attr = /^attributes\.(.+)$/.exec(target);
  if (attr) return { source, target: { kind: 'attribute', name: attr[1]! } };
  const field = KNOWN.get(columnKey(target));
  if (!field) return { problem: `unknown field "${target}" (fields: ${CUSTOMER_FIELDS.join(', ')}; or attributes.<name>; or - to skip)` };
  return { source, target: { kind: 'field', field } };
}

/** Resolves one source column: an explicit `--map` wins, then the known names, else an attribute of that name. */
export function resolveColumn(name: string, map: ColumnMap = new Map()): ColumnTarget {
  const key = columnKey(name);
  if (name.trim() === '') return { kind: 'ignore' }; // e.g. a trailing delimiter in the header
  const explicit = map.get(key);
  if (explicit) {
    const { source: _source, ...target } = explicit;
    return target;
  }
  const field = KNOWN.get(key);
  if (field) return { kind: 'field', field };
  return { kind: 'attribute', name: name.trim() };
}
