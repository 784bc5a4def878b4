/**
 * One source row → the customer values it provides, normalised, with the warnings it caused
 * or the reason it is rejected. Pure: no store access.
 */
import { CUSTOMER_FIELDS, resolveColumn, type ColumnMap, type ColumnTarget, type CustomerField } from '../fields.js';
import {
  checkAddress,
  normaliseCountry,
  normaliseLocale,
  normaliseTimeZone,
  parseConsent,
  parseCount,
  parseDecimal,
  parseIsoDate,
} from '../normalise.js';
import type { RawRow } from './source.js';
import { quoted } from '../../util/printable.js';

/**
 * The values a row gives. A field that is `undefined` was not given (absent column, empty cell
 * or null) and keeps its stored value; consent flags are given whenever their column exists
 * (an empty cell means no consent).
 */
export interface CustomerInput {
  external_id?: string;
  email?: string;
  phone?: string;
  first_name?: string;
  last_name?: string;
  country?: string;
  timezone?: string;
  locale?: string;
  lifetime_value?: number;
  order_count?: number;
  last_order_at?: number;
  created_at?: number;
  email_opt_in?: 0 | 1;
  sms_opt_in?: 0 | 1;
  whatsapp_opt_in?: 0 | 1;
  /** Every column that is not a customer field, numbers and booleans kept as such. */
  attributes: Record<string, unknown>;
}

export type RowOutcome =
  | { ok: true; input: CustomerInput; warnings: readonly string[] }
  | { ok: false; reason: string };

export interface RowOptions {
  /** Country for phone numbers in rows without a (valid) `country`. */
  defaultCountry?: string;
  map?: ColumnMap;
}

const CONSENT_FIELDS = new Set<CustomerField>(['email_opt_in', 'sms_opt_in', 'whatsapp_opt_in']);

/** A CSV cell of an unknown column as a JSON value: plain numbers and true/false become typed. */
export function attributeValue(cell: string): unknown {
  const v = cell.trim();
  if (v === 'true' || v === 'TRUE' || v === 'True') return true;
  if (v === 'false' || v === 'FALSE' || v === 'False') return false;
  // only canonical numbers: `007` (a code) and 20-digit ids stay text
  if (/^-?(?:0|[1-9]\d{0,14})(?:\.\d+)?$/.test(v)) return Number(v);
  return v;
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.trim() === '' ? undefined : value.trim();
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

// quoted: invisible characters (controls, bidi, zero-width) are shown as escapes, never raw
const show = (v: unknown): string => (typeof v === 'string' ? quoted(v.length > 60 ? v.slice(0, 57) + '...' : v) : JSON.stringify(v) ?? String(v));

/** A field's position in CUSTOMER_FIELDS, the index of its slot in `RawValues`. */
const FIELD_INDEX = new Map<CustomerField, number>(CUSTOMER_FIELDS.map((f, i) => [f, i]));
const ABSENT = Symbol('absent');

/**
 * A row's raw field values by field index (`ABSENT`: no column maps to it), and the fields in
 * the order their first column came, which is the order of their warnings. Reused from row to
 * row: a million-row file would otherwise allocate a Map per row.
 */
export class RawValues {
  readonly values: unknown[] = CUSTOMER_FIELDS.map(() => ABSENT);
  readonly order: number[] = [];

  clear(): void {
    for (const i of this.order) this.values[i] = ABSENT;
    this.order.length = 0;
  }

  /** A later column for the same field wins only over an empty or unusable earlier one. */
  offer(index: number, value: unknown): void {
    const current = this.values[index];
    if (current === ABSENT) this.order.push(index);
    else if (text(current) !== undefined) return;
    this.values[index] = value;
  }

  get(field: CustomerField): unknown {
    const v = this.values[FIELD_INDEX.get(field)!];
    return v === ABSENT ? undefined : v;
  }
}

/** Resolves a row's columns to targets; CSV headers are resolved once, JSON keys once per distinct key. */
export class RowMapper {
  private readonly cache = new Map<string, ColumnTarget>();
  private csvTargets?: ColumnTarget[];
  /** Per CSV column: the field index it fills, or -1. */
  private csvFields?: number[];
  private readonly raw = new RawValues();

  constructor(
    private readonly options: RowOptions,
    header?: string[],
  ) {
    if (header) {
      this.csvTargets = header.map((h) => this.target(h));
      this.csvFields = this.csvTargets.map((t) => (t.kind === 'field' ? FIELD_INDEX.get(t.field)! : -1));
    }
  }

  private target(name: string): ColumnTarget {
    let t = this.cache.get(name);
    if (!t) {
      t = resolveColumn(name, this.options.map);
      this.cache.set(name, t);
    }
    return t;
  }

  normalise(row: RawRow): RowOutcome {
    const raw = this.raw;
    raw.clear();
    const attributes: Record<string, unknown> = {};
    if (row.cells) {
      const targets = this.csvTargets!;
      const fields = this.csvFields!;
      // fewer cells than columns: the trailing ones are empty (some exporters drop them);
      // more cells than columns cannot be assigned to anything, so the row is rejected
      if (row.cells.length > targets.length) {
        return { ok: false, reason: `row has ${row.cells.length} fields, the header has ${targets.length}` };
      }
      for (let i = 0; i < targets.length; i++) {
        const cell = row.cells[i] ?? '';
        if (fields[i]! >= 0) raw.offer(fields[i]!, cell);
        else {
          const t = targets[i]!;
          if (t.kind === 'attribute' && cell.trim() !== '') setAttribute(attributes, t.name, attributeValue(cell));
        }
      }
    } else {
      for (const [key, value] of Object.entries(row.object)) {
        const t = this.target(key);
        if (t.kind === 'field') raw.offer(FIELD_INDEX.get(t.field)!, value);
        else if (t.kind === 'attribute' && value !== null && value !== undefined && value !== '') setAttribute(attributes, t.name, value);
      }
    }
    return normaliseValues(raw, attributes, this.options);
  }
}

/**
 * Sets an attribute on a plain object: a column named `__proto__` is just an attribute name (an
 * own property, which JSON.stringify writes), never the object's prototype. Plain objects, not
 * prototype-less ones: those are dictionaries to V8, and building and stringifying one per row
 * took twice as long.
 */
function setAttribute(attributes: Record<string, unknown>, name: string, value: unknown): void {
  if (name === '__proto__') Object.defineProperty(attributes, name, { value, enumerable: true, writable: true, configurable: true });
  else attributes[name] = value;
}

const NO_WARNINGS: readonly string[] = Object.freeze([]);

/** Normalises mapped raw values; drops bad values with a warning; rejects a row without identity. */
export function normaliseValues(raw: RawValues, attributes: Record<string, unknown>, options: RowOptions): RowOutcome {
  const input: CustomerInput = { attributes };
  let warnings: string[] | undefined;
  let dropped: string[] | undefined;
  const bad = (field: string, value: unknown, expected: string) => {
    (warnings ??= []).push(`invalid ${field} ${show(value)} (${expected}): value dropped`);
  };

  for (const index of raw.order) {
    const field = CUSTOMER_FIELDS[index]!;
    const value = raw.values[index];
    if (CONSENT_FIELDS.has(field)) {
      const c = parseConsent(typeof value === 'string' ? value : value === null ? undefined : value);
      if (c === undefined) bad(field, value, 'expected true/false, yes/no, y/n or 1/0; treated as no consent');
      (input as unknown as Record<string, unknown>)[field] = c ? 1 : 0;
      continue;
    }
    const v = text(value);
    if (v === undefined) {
      if (value !== undefined && value !== null && typeof value === 'object') bad(field, value, 'expected a single value');
      continue;
    }
    switch (field) {
      case 'external_id':
      case 'first_name':
      case 'last_name':
        input[field] = v;
        break;
      case 'email': {
        const e = checkAddress('email', v);
        if (e.address) input.email = e.address;
        else (dropped ??= []).push(`invalid email ${show(v)} (${e.problem})`);
        break;
      }
      case 'phone':
        break; // after the country is known
      case 'country': {
        const c = normaliseCountry(v);
        if (c) input.country = c;
        else bad('country', v, 'expected an ISO 3166 two-letter code');
        break;
      }
      case 'timezone': {
        const z = normaliseTimeZone(v);
        if (z) input.timezone = z;
        else bad('timezone', v, 'expected an IANA time zone such as Europe/Berlin');
        break;
      }
      case 'locale': {
        const l = normaliseLocale(v);
        if (l) input.locale = l;
        else bad('locale', v, 'expected a locale such as de-DE');
        break;
      }
      case 'lifetime_value': {
        const n = typeof value === 'number' ? value : parseDecimal(v);
        if (n !== undefined && Number.isFinite(n)) input.lifetime_value = n;
        else bad('lifetime_value', v, 'expected a decimal number with "." such as 1234.50');
        break;
      }
      case 'order_count': {
        const n = typeof value === 'number' ? (Number.isInteger(value) && value >= 0 ? value : undefined) : parseCount(v);
        if (n !== undefined) input.order_count = n;
        else bad('order_count', v, 'expected a whole number from 0');
        break;
      }
      case 'last_order_at':
      case 'created_at': {
        const t = typeof value === 'string' ? parseIsoDate(v) : undefined;
        if (t !== undefined) input[field] = t;
        else bad(field, v, 'expected an ISO 8601 date such as 2024-05-31 or 2024-05-31T12:00:00Z');
        break;
      }
    }
  }

  const phoneRaw = text(raw.get('phone'));
  if (phoneRaw !== undefined) {
    const country = input.country ?? options.defaultCountry;
    const p = checkAddress('phone', phoneRaw, { country });
    if (p.address) input.phone = p.address;
    else {
      const noCountry = !/^\s*(\+|00|whatsapp:)/i.test(phoneRaw) && !country;
      (dropped ??= []).push(`invalid phone ${show(phoneRaw)} (${noCountry ? 'no country to read it in: add a country column or --default-country' : p.problem})`);
    }
  }

  if (input.external_id === undefined && input.email === undefined && input.phone === undefined) {
    return { ok: false, reason: dropped ? `no usable identity: ${dropped.join(', ')}` : 'no usable identity (external_id, email or phone)' };
  }
  if (dropped) for (const d of dropped) (warnings ??= []).push(`${d}: value dropped`);
  return { ok: true, input, warnings: warnings ?? NO_WARNINGS };
}
