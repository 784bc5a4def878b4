/**
 * Identity resolution and merging, inside the import's one transaction: which customer a row
 * is, what it changes, and how it counts when several lines of one file touch one customer.
 * The SQL is src/db/customers-writer.ts.
 */
import { CUSTOMER_DATA_COLUMNS, CUSTOMER_INPUT_COLUMNS, type StoredCustomer } from '../../db/customer-columns.js';
import { IDENTITY_KEY, type CustomerImportRepository, type CustomerValues } from '../../db/customers-writer.js';
import { BloomFilter } from '../../util/bloom.js';
import { quoted } from '../../util/printable.js';
import { ATTRIBUTES_SLOT, SLOT, type PreparedValues } from './prepared.js';

export type Outcome = 'inserted' | 'updated' | 'unchanged';

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

/**
 * Where the writer finds and writes customers: the SQLite statements (db/customers-writer.ts),
 * or the rows a PostgreSQL import merges in memory (./memory-rows.ts).
 */
export type ImportRows = Pick<CustomerImportRepository, 'find' | 'forEachIdentity' | 'count' | 'insert' | 'update' | 'saveOriginal' | 'original'>;

/** The earlier line of this file that resolved to the same customer. */
export interface Duplicate {
  line: number;
  /** Which identity matched: `external_id "42"`, `email "a@b.c"`, `phone "+49…"`. */
  by: string;
}

/** A duplicate found only once the whole file was staged (PostgreSQL): the later line, and the earlier one. */
export interface LateDuplicate extends Duplicate {
  at: number;
}

/** What a sink's writer does with the rows of an import, in file order (SQLite: CustomerWriter; PostgreSQL: ./staged-writer.ts). */
export interface RowWriter {
  readonly counts: { inserted: number; updated: number; unchanged: number };
  /** The next rows, before they are applied in order (lets the sink decide per batch which may match, or send the last batch on). */
  prefetch(values: ReadonlyArray<PreparedValues | null>): void | Promise<void>;
  /** Inserts or updates one row's customer; the earlier line when this file already touched it (as far as is known yet). */
  apply(values: PreparedValues, line: number): Duplicate | undefined;
  /** After the last row: writes what is left; the duplicates `apply` could not tell yet, in line order. `counts` are final after it. */
  finish(): Promise<LateDuplicate[]>;
}

/** What a new customer stores for a column the row does not give: consent no, created now, else NULL. */
const NOW = Symbol('now');
const INSERT_DEFAULTS: ReadonlyArray<null | 0 | typeof NOW> = CUSTOMER_INPUT_COLUMNS.map((c) => (c === 'created_at' ? NOW : c.endsWith('_opt_in') ? 0 : null));

export class CustomerWriter implements RowWriter {
  readonly counts = { inserted: 0, updated: 0, unchanged: 0 };
  private readonly book = new LineBook();
  private readonly repo: ImportRows;
  /**
   * Every identity any customer has had during this import: those stored when it began and
   * those of every row prefetched since. A row none of whose identities it ever held cannot be
   * a customer yet, neither a stored one nor one an earlier line wrote, and is inserted without
   * a lookup (a file of new customers costs no index probes beyond the inserts' own); every
   * other row is looked up, and the lookup decides. Fixed size (10 bits per identity expected):
   * memory stays flat however long the file.
   */
  private readonly everSeen: BloomFilter;
  /** Rows of the current batch that may match a customer (see `everSeen`). */
  private readonly mayMatch = new Set<PreparedValues>();

  /** Call inside the import's open transaction. */
  constructor(
    repo: ImportRows,
    private readonly now: number,
  ) {
    this.repo = repo;
    // stored customers plus a million rows, three identities each
    this.everSeen = new BloomFilter(30 * (this.repo.count() + 1_000_000));
    this.repo.forEachIdentity((key) => this.everSeen.add(key));
  }

  /** Every row was written as it was applied: no duplicate is left to report. */
  async finish(): Promise<LateDuplicate[]> {
    return [];
  }

  /**
   * Notes which of the next rows may match a customer, before they are applied in order. The
   * row's own identities are added as it is checked, so a later row sharing one is looked up
   * (and finds the customer the earlier one wrote); a write can give a customer no identity
   * that its row did not bring, so nothing is added after writing.
   */
  prefetch(inputs: ReadonlyArray<PreparedValues | null>): void {
    const seen = this.everSeen;
    this.mayMatch.clear();
    for (const i of inputs) {
      if (!i) continue;
      const [x, e, p] = identity(i);
      // all three are checked (and so added), whatever the first answered
      const byExt = x !== null && seen.addAndCheck(IDENTITY_KEY.ext + x);
      const byEmail = e !== null && seen.addAndCheck(IDENTITY_KEY.email + e);
      const byPhone = p !== null && seen.addAndCheck(IDENTITY_KEY.phone + p);
      if (byExt || byEmail || byPhone) this.mayMatch.add(i);
    }
  }

  private find(input: PreparedValues): (StoredCustomer & { via: number }) | undefined {
    if (!this.mayMatch.has(input)) return undefined;
    const [ext, email, phone] = identity(input);
    return this.repo.find({ ext, email, phone });
  }

  private write(row: StoredCustomer): void {
    this.repo.update(row.id, valuesOf(row));
  }

  /** Inserts or updates the customer of one row; returns the earlier line when this file already touched it. */
  apply(input: PreparedValues, line: number): Duplicate | undefined {
    const found = this.find(input);
    if (!found) {
      const values: CustomerValues = new Array(INSERT_DEFAULTS.length + 2);
      for (let i = 0; i < INSERT_DEFAULTS.length; i++) {
        const v = input[i];
        values[i] = v !== null ? v : INSERT_DEFAULTS[i] === NOW ? this.now : INSERT_DEFAULTS[i];
      }
      values[INSERT_DEFAULTS.length] = input[ATTRIBUTES_SLOT] ?? '{}';
      values[INSERT_DEFAULTS.length + 1] = this.now;
      const id = this.repo.insert(values);
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
        this.repo.saveOriginal(current.id);
        this.write({ ...merged, updated_at: this.now });
        this.counts.updated++;
        this.book.set(current.id, line, 'updated');
      }
      return undefined;
    }

    // A later line for a customer this file already touched: it wins, and the customer counts
    // once, by the net effect of the whole file on it.
    let outcome: Outcome = 'inserted';
    if (earlier.outcome === 'inserted') {
      if (!sameData(current, merged)) this.write({ ...merged, updated_at: this.now });
    } else {
      const original = earlier.outcome === 'updated' ? this.repo.original(current.id)! : current;
      outcome = sameData(original, merged) ? 'unchanged' : 'updated';
      const next = { ...merged, updated_at: outcome === 'unchanged' ? original.updated_at : this.now };
      if (!sameData(current, next) || current.updated_at !== next.updated_at) {
        if (earlier.outcome === 'unchanged') this.repo.saveOriginal(current.id);
        this.write(next);
      }
      this.counts[earlier.outcome]--;
      this.counts[outcome]++;
    }
    this.book.set(current.id, line, outcome);
    const [ext, email, phone] = identity(input);
    const by = via === 1 ? `external_id ${quoted(String(ext))}` : via === 2 ? `email ${quoted(String(email))}` : `phone ${quoted(String(phone))}`;
    return { line: earlier.line, by };
  }
}

/** A stored row's values in the repository's write order (data columns, then updated_at). */
function valuesOf(row: StoredCustomer): CustomerValues {
  const values: CustomerValues = [];
  for (const c of CUSTOMER_DATA_COLUMNS) values.push(row[c]);
  values.push(row.updated_at);
  return values;
}

/** A row's identities: external id, email, phone (null: not given). */
function identity(input: PreparedValues): [string | null, string | null, string | null] {
  return [input[SLOT.external_id] as string | null, input[SLOT.email] as string | null, input[SLOT.phone] as string | null];
}

function merge(current: StoredCustomer, input: PreparedValues): StoredCustomer {
  const next: StoredCustomer = { ...current };
  const target = next as unknown as Record<string, unknown>;
  for (let i = 0; i < CUSTOMER_INPUT_COLUMNS.length; i++) {
    const v = input[i];
    if (v !== null) target[CUSTOMER_INPUT_COLUMNS[i]!] = v;
  }
  // the same text as stored (a re-import of an unchanged row): both were written by
  // JSON.stringify, so merging one into the other gives that text again; no parse needed
  const given = input[ATTRIBUTES_SLOT] as string | null;
  if (given !== null && given !== current.attributes) next.attributes = mergeAttributes(current.attributes, given);
  return next;
}

/** The stored attributes JSON with the file's (JSON text of a non-empty object) laid over it. */
function mergeAttributes(stored: string, given: string): string {
  const input = JSON.parse(given) as Record<string, unknown>;
  const keys = Object.keys(input);
  // no prototype: a `__proto__` key from a file is stored like any other
  const attrs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  let parsedOk = false;
  try {
    const parsed: unknown = JSON.parse(stored);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      Object.assign(attrs, parsed);
      parsedOk = true;
    }
  } catch {
    // unreadable stored attributes are replaced by the file's
  }
  // Every value the file gives is already stored as the same scalar: the stored text (written
  // by JSON.stringify, so a parse and re-serialise would give it back) stays as it is.
  if (parsedOk && keys.every((k) => isScalar(input[k]) && Object.prototype.hasOwnProperty.call(attrs, k) && attrs[k] === input[k])) return stored;
  for (const k of keys) attrs[k] = input[k];
  return JSON.stringify(attrs);
}

const isScalar = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

function sameData(a: StoredCustomer, b: StoredCustomer): boolean {
  for (const c of CUSTOMER_DATA_COLUMNS) if (a[c] !== b[c]) return false;
  return true;
}
