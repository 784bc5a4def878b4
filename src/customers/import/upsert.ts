/**
 * Identity resolution and merging, inside the import's one transaction: which customer a row
 * is, what it changes, and how it counts when several lines of one file touch one customer.
 * The SQL is src/db/customers-writer.ts.
 */
import { CUSTOMER_DATA_COLUMNS, CUSTOMER_INPUT_COLUMNS, type StoredCustomer } from '../../db/customer-columns.js';
import { CustomerImportRepository, IDENTITY_KEY, type CustomerValues } from '../../db/customers-writer.js';
import type { Store } from '../../db/open.js';
import { BloomFilter } from '../../util/bloom.js';
import { quoted } from '../../util/printable.js';
import type { CustomerInput } from './row.js';

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

/** The earlier line of this file that resolved to the same customer. */
export interface Duplicate {
  line: number;
  /** Which identity matched: `external_id "42"`, `email "a@b.c"`, `phone "+49…"`. */
  by: string;
}

/** What a new customer stores for a column the row does not give: consent no, created now, else NULL. */
const NOW = Symbol('now');
const INSERT_DEFAULTS: ReadonlyArray<null | 0 | typeof NOW> = CUSTOMER_INPUT_COLUMNS.map((c) => (c === 'created_at' ? NOW : c.endsWith('_opt_in') ? 0 : null));

export class CustomerWriter {
  readonly counts = { inserted: 0, updated: 0, unchanged: 0 };
  private readonly book = new LineBook();
  private readonly repo: CustomerImportRepository;
  /**
   * Identities of the current batch that a stored customer had when the batch began, and those
   * this batch has written since, each with whether an owner of it has no external id (see
   * `needsLookup`). A row none of whose identities can match is inserted without a lookup (a
   * fresh import never looks up). Undefined: look every row up.
   */
  private known?: Map<string, boolean>;
  private readonly written = new Map<string, boolean>();
  /**
   * Every identity any customer has had during this import: those stored when it began and
   * those it wrote. Only values it may hold are asked of the store, so a file of new customers
   * costs no index probes beyond the inserts' own. Fixed size (10 bits per identity expected):
   * memory stays flat however long the file.
   */
  private readonly everSeen: BloomFilter;


  /** Call inside an open transaction; `dispose()` before it ends. */
  constructor(
    store: Store,
    private readonly now: number,
  ) {
    this.repo = new CustomerImportRepository(store);
    // stored customers plus a million rows, three identities each
    this.everSeen = new BloomFilter(30 * (this.repo.count() + 1_000_000));
    this.repo.forEachIdentity((key) => this.everSeen.add(key));
  }

  dispose(): void {
    this.repo.dispose();
  }

  /** Resolves which of the next rows' identities exist, in three queries; then `apply` them in order. */
  prefetch(inputs: CustomerInput[]): void {
    const ext: string[] = [];
    const email: string[] = [];
    const phone: string[] = [];
    const seen = this.everSeen;
    for (const i of inputs) {
      if (i.external_id && seen.mayHave(IDENTITY_KEY.ext + i.external_id)) ext.push(i.external_id);
      if (i.email && seen.mayHave(IDENTITY_KEY.email + i.email)) email.push(i.email);
      if (i.phone && seen.mayHave(IDENTITY_KEY.phone + i.phone)) phone.push(i.phone);
    }
    this.known = this.repo.existingIdentities(ext, email, phone);
    this.written.clear();
  }

  /**
   * Whether `find` could match anything: the row's external id is known, or its email / phone
   * is, with an owner that could be this row's customer. Under the lookup's rule an owner
   * matches by address only when the two external ids do not contradict; an owner whose
   * external id equals the row's would have made that external id known, so with a new
   * external id only an owner without one can match.
   */
  private needsLookup(input: CustomerInput): boolean {
    const ext = input.external_id;
    if (ext && this.seen(IDENTITY_KEY.ext + ext) !== undefined) return true;
    return (input.email !== undefined && this.mayOwn(IDENTITY_KEY.email + input.email, ext)) || (input.phone !== undefined && this.mayOwn(IDENTITY_KEY.phone + input.phone, ext));
  }

  /** Whether a customer with this email / phone key could be the customer of a row with `ext`. */
  private mayOwn(key: string, ext: string | undefined): boolean {
    const open = this.seen(key);
    return open === true || (open === false && !ext);
  }

  /** undefined: no customer has the identity; else whether one of its owners has no external id. */
  private seen(key: string): boolean | undefined {
    const stored = this.known!.get(key);
    const wrote = this.written.get(key);
    return stored === undefined ? wrote : stored || wrote === true;
  }

  private find(input: CustomerInput): (StoredCustomer & { via: number }) | undefined {
    if (this.known && !this.needsLookup(input)) return undefined;
    return this.repo.find({ ext: input.external_id ?? null, email: input.email ?? null, phone: input.phone ?? null });
  }

  private wrote(row: { external_id?: string | null; email?: string | null; phone?: string | null }): void {
    const open = !row.external_id;
    if (row.external_id) this.note(IDENTITY_KEY.ext + row.external_id, true);
    if (row.email) this.note(IDENTITY_KEY.email + row.email, open);
    if (row.phone) this.note(IDENTITY_KEY.phone + row.phone, open);
  }

  private note(key: string, open: boolean): void {
    this.everSeen.add(key);
    if (open || !this.written.has(key)) this.written.set(key, open);
  }

  private write(row: StoredCustomer): void {
    this.repo.update(row.id, valuesOf(row));
    this.wrote(row);
  }

  /** Inserts or updates the customer of one row; returns the earlier line when this file already touched it. */
  apply(input: CustomerInput, line: number): Duplicate | undefined {
    const found = this.find(input);
    if (!found) {
      const values: CustomerValues = new Array(INSERT_DEFAULTS.length + 2);
      for (let i = 0; i < INSERT_DEFAULTS.length; i++) {
        const v = input[CUSTOMER_INPUT_COLUMNS[i]!];
        values[i] = v !== undefined ? v : INSERT_DEFAULTS[i] === NOW ? this.now : INSERT_DEFAULTS[i];
      }
      values[INSERT_DEFAULTS.length] = JSON.stringify(input.attributes);
      values[INSERT_DEFAULTS.length + 1] = this.now;
      const id = this.repo.insert(values);
      this.wrote(input);
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
    const by = via === 1 ? `external_id ${quoted(String(input.external_id))}` : via === 2 ? `email ${quoted(String(input.email))}` : `phone ${quoted(String(input.phone))}`;
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

function merge(current: StoredCustomer, input: CustomerInput): StoredCustomer {
  const next: StoredCustomer = { ...current };
  const target = next as unknown as Record<string, unknown>;
  for (const c of CUSTOMER_INPUT_COLUMNS) {
    const v = input[c];
    if (v !== undefined) target[c] = v;
  }
  const keys = Object.keys(input.attributes);
  if (keys.length > 0) {
    // no prototype: a `__proto__` key from a file is stored like any other
    const attrs: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    let parsedOk = false;
    try {
      const parsed: unknown = JSON.parse(current.attributes);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        Object.assign(attrs, parsed);
        parsedOk = true;
      }
    } catch {
      // unreadable stored attributes are replaced by the file's
    }
    // Every value the file gives is already stored as the same scalar: the stored text (written
    // by JSON.stringify, so a parse and re-serialise would give it back) stays as it is.
    if (parsedOk && keys.every((k) => isScalar(input.attributes[k]) && Object.prototype.hasOwnProperty.call(attrs, k) && attrs[k] === input.attributes[k])) return next;
    for (const k of keys) attrs[k] = input.attributes[k];
    next.attributes = JSON.stringify(attrs);
  }
  return next;
}

const isScalar = (v: unknown): boolean => v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));

function sameData(a: StoredCustomer, b: StoredCustomer): boolean {
  for (const c of CUSTOMER_DATA_COLUMNS) if (a[c] !== b[c]) return false;
  return true;
}
