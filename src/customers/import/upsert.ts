/**
 * Identity resolution and writing, inside the import's one transaction. Raw better-sqlite3
 * prepared statements: this runs once per row, a million times for a big file.
 */
import type Database from 'better-sqlite3';
import { CUSTOMER_FIELDS } from '../fields.js';
import type { CustomerInput } from './row.js';

export type Outcome = 'inserted' | 'updated' | 'unchanged';

/** A customer row as SQLite returns it (snake_case columns). */
interface Row {
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

/** Columns an import compares and writes (all but id and updated_at). */
const DATA_COLUMNS = [...CUSTOMER_FIELDS, 'attributes'] as const;
const INPUT_COLUMNS = CUSTOMER_FIELDS;

const CODE: Record<Outcome, number> = { inserted: 1, updated: 2, unchanged: 3 };
const OUTCOME: Outcome[] = ['inserted', 'inserted', 'updated', 'unchanged'];

/**
 * Which customer each line of this import touched last, and with what outcome: one 32-bit slot
 * per customer id (line × 4 + outcome code), allocated in pages of 64k ids, so a million-row
 * import costs a few MB instead of a million-entry Map.
 */
class LineBook {
  private readonly pages = new Map<number, Uint32Array>();
  get(id: number): { line: number; outcome: Outcome } | undefined {
    const v = this.pages.get(id >>> 16)?.[id & 0xffff] ?? 0;
    return v === 0 ? undefined : { line: Math.floor(v / 4), outcome: OUTCOME[v % 4]! };
  }
  set(id: number, line: number, outcome: Outcome): void {
    let page = this.pages.get(id >>> 16);
    if (!page) this.pages.set(id >>> 16, (page = new Uint32Array(1 << 16)));
    page[id & 0xffff] = line * 4 + CODE[outcome];
  }
}

/** The earlier line of this file that resolved to the same customer. */
export interface Duplicate {
  line: number;
  /** Which identity matched: `external_id "42"`, `email "a@b.c"`, `phone "+49…"`. */
  by: string;
}

export class CustomerWriter {
  readonly counts = { inserted: 0, updated: 0, unchanged: 0 };
  private readonly book = new LineBook();
  private readonly byIdentity: Database.Statement<[{ ext: string | null; email: string | null; phone: string | null }], Row & { via: number }>;
  private readonly insert: Database.Statement;
  private readonly update: Database.Statement;
  private readonly saveBefore: Database.Statement<[number]>;
  private readonly loadBefore: Database.Statement<[number], Row>;

  /** Call inside an open transaction; `dispose()` before it ends. */
  constructor(
    private readonly sqlite: Database.Database,
    private readonly now: number,
  ) {
    // One statement for the whole precedence (external id, else email, else phone): a third of
    // the round trips of three lookups, and this runs for every row. A customer found by email
    // or phone is the same one only if its external id does not contradict the row's
    // (customers with different external ids may share an address). NULL parameters match
    // nothing, so absent identities cost an index probe at most. SQLite runs UNION ALL branches
    // in order and LIMIT 1 stops at the first row, so a match by external id skips the others.
    const sameOwner = '(@ext IS NULL OR external_id IS NULL OR external_id = @ext)';
    this.byIdentity = sqlite.prepare(
      `SELECT * FROM (
         SELECT 1 AS via, * FROM customers WHERE external_id = @ext
         UNION ALL SELECT * FROM (SELECT 2 AS via, * FROM customers WHERE email = @email AND ${sameOwner} ORDER BY id LIMIT 1)
         UNION ALL SELECT * FROM (SELECT 3 AS via, * FROM customers WHERE phone = @phone AND ${sameOwner} ORDER BY id LIMIT 1)
       ) LIMIT 1`,
    );
    const cols = [...DATA_COLUMNS, 'updated_at'];
    this.insert = sqlite.prepare(`INSERT INTO customers (${cols.join(', ')}) VALUES (${cols.map((c) => '@' + c).join(', ')})`);
    this.update = sqlite.prepare(`UPDATE customers SET ${cols.map((c) => `${c} = @${c}`).join(', ')} WHERE id = @id`);
    // Rows as they were before this import changed them, for when a later line of the same file
    // brings a customer back to its original state (then it counts, and stays, unchanged).
    sqlite.exec('CREATE TEMP TABLE IF NOT EXISTS mkt_import_before AS SELECT * FROM main.customers WHERE 0');
    sqlite.exec('CREATE INDEX IF NOT EXISTS temp.mkt_import_before_id ON mkt_import_before (id)');
    this.saveBefore = sqlite.prepare('INSERT INTO temp.mkt_import_before SELECT * FROM main.customers WHERE id = ?');
    this.loadBefore = sqlite.prepare('SELECT * FROM temp.mkt_import_before WHERE id = ?');
  }

  dispose(): void {
    this.sqlite.exec('DROP TABLE IF EXISTS temp.mkt_import_before');
  }

  private find(input: CustomerInput): (Row & { via: number }) | undefined {
    return this.byIdentity.get({ ext: input.external_id ?? null, email: input.email ?? null, phone: input.phone ?? null });
  }

  /** Inserts or updates the customer of one row; returns the earlier line when this file already touched it. */
  apply(input: CustomerInput, line: number): Duplicate | undefined {
    const found = this.find(input);
    if (!found) {
      const row: Record<string, unknown> = { updated_at: this.now };
      for (const c of INPUT_COLUMNS) row[c] = input[c] ?? null;
      row.created_at = input.created_at ?? this.now;
      for (const c of ['email_opt_in', 'sms_opt_in', 'whatsapp_opt_in'] as const) row[c] = input[c] ?? 0;
      row.attributes = JSON.stringify(input.attributes);
      const id = Number(this.insert.run(row).lastInsertRowid);
      this.counts.inserted++;
      this.book.set(id, line, 'inserted');
      return undefined;
    }

    const { via, ...current } = found;
    const merged = merge(current, input);
    const earlier = this.book.get(current.id);
    if (!earlier) {
      if (sameData(current, merged)) {
        this.counts.unchanged++;
        this.book.set(current.id, line, 'unchanged');
      } else {
        this.saveBefore.run(current.id);
        this.update.run({ ...merged, updated_at: this.now });
        this.counts.updated++;
        this.book.set(current.id, line, 'updated');
      }
      return undefined;
    }

    // A later line for a customer this file already touched: it wins, and the customer counts
    // once, by the net effect of the whole file on it.
    let outcome: Outcome = 'inserted';
    if (earlier.outcome === 'inserted') {
      if (!sameData(current, merged)) this.update.run({ ...merged, updated_at: this.now });
    } else {
      const original = earlier.outcome === 'updated' ? this.loadBefore.get(current.id)! : current;
      outcome = sameData(original, merged) ? 'unchanged' : 'updated';
      const next = { ...merged, updated_at: outcome === 'unchanged' ? original.updated_at : this.now };
      if (!sameData(current, next) || current.updated_at !== next.updated_at) {
        if (earlier.outcome === 'unchanged') this.saveBefore.run(current.id);
        this.update.run(next);
      }
      this.counts[earlier.outcome]--;
      this.counts[outcome]++;
    }
    this.book.set(current.id, line, outcome);
    const by = via === 1 ? `external_id ${JSON.stringify(input.external_id)}` : via === 2 ? `email ${JSON.stringify(input.email)}` : `phone ${JSON.stringify(input.phone)}`;
    return { line: earlier.line, by };
  }
}

function merge(current: Row, input: CustomerInput): Row {
  const next: Row = { ...current };
  const target = next as unknown as Record<string, unknown>;
  for (const c of INPUT_COLUMNS) {
    const v = input[c];
    if (v !== undefined) target[c] = v;
  }
  const keys = Object.keys(input.attributes);
  if (keys.length > 0) {
    // no prototype: a `__proto__` key from a file is stored like any other
    const attrs: Record<string, unknown> = Object.create(null);
    try {
      const parsed: unknown = JSON.parse(current.attributes);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) Object.assign(attrs, parsed);
    } catch {
      // unreadable stored attributes are replaced by the file's
    }
    for (const k of keys) attrs[k] = input.attributes[k];
    next.attributes = JSON.stringify(attrs);
  }
  return next;
}

function sameData(a: Row, b: Row): boolean {
  for (const c of DATA_COLUMNS) if (a[c] !== b[c]) return false;
  return true;
}
