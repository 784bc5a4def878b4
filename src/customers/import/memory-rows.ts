/**
 * The customers a PostgreSQL import's dependent rows can reach (db/import-store.ts), held in
 * memory so that those rows go through the same CustomerWriter as an SQLite import, in file
 * order, with the lookups answered exactly as db/customers-writer.ts's statement answers them:
 * external id; else the lowest-id customer with the email, else with the phone, whose external
 * id does not contradict the row's. New customers get ids above every stored one, in the order
 * they are inserted (as SQLite would give them); `final()` says what to write.
 */
import { WRITE_COLUMNS, type CustomerValues, type Identity, type IdentityMatch } from '../../db/customers-writer.js';
import { CUSTOMER_DATA_COLUMNS, type StoredCustomer } from '../../db/customer-columns.js';
import { IDENTITY_KEY } from '../../db/customers-writer.js';
import type { ImportRows } from './upsert.js';

type Index = Map<string, Set<number>>;

export class MemoryRows implements ImportRows {
  private readonly rows = new Map<number, StoredCustomer>();
  private readonly originals = new Map<number, StoredCustomer>();
  private readonly byExt = new Map<string, number>();
  private readonly byEmail: Index = new Map();
  private readonly byPhone: Index = new Map();
  /** New customers: the place in the file (`seq`) of the row that inserted each. */
  private readonly insertedBy = new Map<number, number>();
  private readonly written = new Set<number>();
  /** The place in the file of the row being applied (set by the caller before each row). */
  seq = 0;

  constructor(
    stored: readonly StoredCustomer[],
    private nextId: number,
  ) {
    for (const c of stored) this.put(c);
  }

  private put(c: StoredCustomer): void {
    const old = this.rows.get(c.id);
    if (old) {
      if (old.external_id !== null) this.byExt.delete(old.external_id);
      if (old.email !== null) this.byEmail.get(old.email)?.delete(old.id);
      if (old.phone !== null) this.byPhone.get(old.phone)?.delete(old.id);
    }
    this.rows.set(c.id, c);
    if (c.external_id !== null) this.byExt.set(c.external_id, c.id);
    const add = (index: Index, key: string | null) => {
      if (key === null) return;
      let ids = index.get(key);
      if (!ids) index.set(key, (ids = new Set()));
      ids.add(c.id);
    };
    add(this.byEmail, c.email);
    add(this.byPhone, c.phone);
  }

  find({ ext, email, phone }: Identity): (StoredCustomer & { via: IdentityMatch }) | undefined {
    const byExt = ext === null ? undefined : this.byExt.get(ext);
    if (byExt !== undefined) return { via: 1, ...this.rows.get(byExt)! };
    const lowest = (index: Index, key: string | null): StoredCustomer | undefined => {
      if (key === null) return undefined;
      let best: StoredCustomer | undefined;
      for (const id of index.get(key) ?? []) {
        const c = this.rows.get(id)!;
        const sameOwner = ext === null || c.external_id === null || c.external_id === ext;
        if (sameOwner && (!best || c.id < best.id)) best = c;
      }
      return best;
    };
    const byEmail = lowest(this.byEmail, email);
    if (byEmail) return { via: 2, ...byEmail };
    const byPhone = lowest(this.byPhone, phone);
    return byPhone && { via: 3, ...byPhone };
  }

  forEachIdentity(each: (key: string) => void): void {
    for (const c of this.rows.values()) {
      if (c.external_id) each(IDENTITY_KEY.ext + c.external_id);
      if (c.email) each(IDENTITY_KEY.email + c.email);
      if (c.phone) each(IDENTITY_KEY.phone + c.phone);
    }
  }

  count(): number {
    return this.rows.size;
  }

  insert(values: CustomerValues): number {
    const id = this.nextId++;
    this.put(rowOf(id, values));
    this.insertedBy.set(id, this.seq);
    return id;
  }

  update(id: number, values: CustomerValues): void {
    this.put(rowOf(id, values));
    this.written.add(id);
  }

  saveOriginal(id: number): void {
    if (!this.originals.has(id)) this.originals.set(id, { ...this.rows.get(id)! });
  }

  original(id: number): StoredCustomer | undefined {
    return this.originals.get(id);
  }

  /** What to write: the new customers in insertion order, and every stored customer written. */
  final(): { inserts: Array<{ seq: number; values: CustomerValues }>; updates: Array<{ id: number; values: CustomerValues }> } {
    const valuesOf = (c: StoredCustomer) => WRITE_COLUMNS.map((col) => c[col]);
    return {
      inserts: [...this.insertedBy].map(([id, seq]) => ({ seq, values: valuesOf(this.rows.get(id)!) })),
      updates: [...this.written].filter((id) => !this.insertedBy.has(id)).map((id) => ({ id, values: valuesOf(this.rows.get(id)!) })),
    };
  }
}

function rowOf(id: number, values: CustomerValues): StoredCustomer {
  const row: Record<string, unknown> = { id };
  CUSTOMER_DATA_COLUMNS.forEach((c, i) => (row[c] = values[i]));
  row.updated_at = values[CUSTOMER_DATA_COLUMNS.length];
  return row as unknown as StoredCustomer;
}
