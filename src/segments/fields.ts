/**
 * The fields a segment may filter on: the customer columns under their snake_case names
 * (as in CustomerRecord), each with the type that decides which operators fit, plus
 * `attributes.<key>` for imported extra columns. This table is the whitelist: a field name
 * that is not here never reaches SQL.
 */
export type FieldType = 'number' | 'string' | 'boolean' | 'date';

export const COLUMN_FIELDS = {
  id: 'number',
  external_id: 'string',
  email: 'string',
  phone: 'string',
  first_name: 'string',
  last_name: 'string',
  country: 'string',
  timezone: 'string',
  locale: 'string',
  lifetime_value: 'number',
  order_count: 'number',
  last_order_at: 'date',
  created_at: 'date',
  updated_at: 'date',
  email_opt_in: 'boolean',
  sms_opt_in: 'boolean',
  whatsapp_opt_in: 'boolean',
} as const satisfies Record<string, FieldType>;

export type ColumnName = keyof typeof COLUMN_FIELDS;

/** A resolved field: a whitelisted column, or a path inside the attributes JSON object. */
export type Field = { kind: 'column'; name: ColumnName; type: FieldType } | { kind: 'attribute'; name: string; path: string[] };

/** One attributes key segment: letters, digits, `_` and `-`, not starting with `-`. Dots nest. */
const ATTRIBUTE_KEY = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

export const ATTRIBUTE_PREFIX = 'attributes.';

export function isColumnName(name: string): name is ColumnName {
  return Object.prototype.hasOwnProperty.call(COLUMN_FIELDS, name);
}

/** The field a name denotes, or undefined when it is not on the whitelist. */
export function resolveField(name: string): Field | undefined {
  if (isColumnName(name)) return { kind: 'column', name, type: COLUMN_FIELDS[name] };
  if (name.startsWith(ATTRIBUTE_PREFIX)) {
    const path = name.slice(ATTRIBUTE_PREFIX.length).split('.');
    if (path.length > 0 && path.length <= 8 && path.every((k) => ATTRIBUTE_KEY.test(k))) return { kind: 'attribute', name, path };
  }
  return undefined;
}

export const FIELD_NAMES = Object.keys(COLUMN_FIELDS) as ColumnName[];
