/**
 * Identity resolution and merging, inside the import's one transaction: which customer a row
 * is, what it changes, and how it counts when several lines of one file touch one customer.
 * The SQL is src/db/customers-writer.ts.
 */
import { CUSTOMER_DATA_COLUMNS, CUSTOMER_INPUT_COLUMNS, type StoredCustomer } from '../../db/customer-columns.js';
import { CustomerImportRepository, IDENTITY_KEY, type CustomerValues } from '../../db/customers-writer.js';
import type { Store } from '../../db/open.js';
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

const keysOf = (r: { external_id?: string | null; email?: string | null; phone?: string | null }): string[] => {
  const keys: string[] = [];
  if (r.external_id) keys.push(IDENTITY_KEY.ext + r.external_id);
  if (r.email) keys.push(IDENTITY_KEY.email + r.email);
  if (r.phone) keys.push(IDENTITY_KEY.phone + r.phone);
  return keys;
};

export class CustomerWriter {
  readonly counts = { inserted: 0, updated: 0, unchanged: 0 };
  private readonly book = new LineBook();
  private readonly repo: CustomerImportRepository;
  /**
   * Identities of the current batch that a stored customer had when the batch began, and those
   * this batch has written since. A row with none of either cannot match anyone, so it is
   * inserted without a lookup (a fresh import never looks up). Undefined: look every row up.
   */
  private known?: Set<string>;
  private readonly written = new Set<string>();

  /** Call inside an open transaction; `dispose()` before it ends. */
  constructor(
    store: Store,
    private readonly now: number,
  ) {
    this.repo = new CustomerImportRepository(store);
  }

  dispose(): void {
    this.repo.dispose();
  }

  /** Resolves which of the next rows' identities exist, in three queries; then `apply` them in order. */
  prefetch(inputs: CustomerInput[]): void {
    const ext: string[] = [];
    const email: string[] = [];
    const phone: string[] = [];
    for (const i of inputs) {
      if (i.external_id) ext.push(i.external_id);
      if (i.email) email.push(i.email);
      if (i.phone) phone.push(i.phone);
    }
    this.known = this.repo.existingIdentities(ext, email, phone);
    this.written.clear();
  }

  private find(input: CustomerInput): (StoredCustomer & { via: number }) | undefined {
    if (this.known && !keysOf(input).some((k) => this.known!.has(k) || this.written.has(k))) return undefined;
    return this.repo.find({ ext: input.external_id ?? null, email: input.email ?? null, phone: input.phone ?? null });
  }

  private wrote(row: Parameters<typeof keysOf>[0]): void {
    if (this.known) for (const k of keysOf(row)) this.written.add(k);
  }

  private write(row: StoredCustomer): void {
    this.repo.update(row.id, valuesOf(row));
    this.wrote(row);
  }

  /** Inserts or updates the customer of one row; returns the earlier line when this file already touched it. */
  apply(input: CustomerInput, line: number): Duplicate | undefined {
    const found = this.find(input);
    if (!found) {
      const values: CustomerValues = [];
      for (const c of CUSTOMER_INPUT_COLUMNS) {
        const v = input[c];
        values.push(v !== undefined ? v : c === 'created_at' ? this.now : c.endsWith('_opt_in') ? 0 : null);
      }
      values.push(JSON.stringify(input.attributes), this.now);
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
    const by = via === 1 ? `external_id ${JSON.stringify(input.external_id)}` : via === 2 ? `email ${JSON.stringify(input.email)}` : `phone ${JSON.stringify(input.phone)}`;
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
    const attrs: Record<string, unknown> = Object.create(null);
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
