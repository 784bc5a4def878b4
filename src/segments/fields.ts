/**
 * The fields a segment may filter on: the customer columns under their snake_case names
 * (as in CustomerRecord), each with the type that decides which operators fit, plus
 * `attributes.<key>` for imported extra columns. This table is the whitelist: a field name
 * that is not here never reaches SQL.
 */
import { COLUMN_FIELDS, isColumnName, type ColumnName, type Field } from '../db/filter.js';

export { COLUMN_FIELDS, isColumnName, type ColumnName, type Field, type FieldType } from '../db/filter.js';

/** One attributes key segment: letters, digits, `_` and `-`, not starting with `-`. Dots nest. */
const ATTRIBUTE_KEY = /^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$/;

export const ATTRIBUTE_PREFIX = 'attributes.';

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
