/**
 * The RowWriter of a PostgreSQL import: rows are staged (COPY) as they come and decided only
 * after the last one (db/pg/import-store.ts). The rows that another row of the file can affect
 * are merged here, in file order, by the same CustomerWriter an SQLite import uses (over
 * ./memory-rows.ts), so both stores give the same customers, counts and duplicate warnings;
 * those warnings come from `finish()`, and the import core puts them in line order.
 */
import type { ImportStaging } from '../../db/import-store.js';
import { MemoryRows } from './memory-rows.js';
import type { PreparedValues } from './prepared.js';
import { CustomerWriter, type Duplicate, type LateDuplicate, type RowWriter } from './upsert.js';

export class StagedWriter implements RowWriter {
  readonly counts = { inserted: 0, updated: 0, unchanged: 0 };
  private finished?: Promise<LateDuplicate[]>;

  constructor(
    private readonly staging: ImportStaging,
    private readonly now: number,
  ) {}

  /** The previous batch goes to the server before the next one is applied. */
  prefetch(): Promise<void> {
    return this.staging.flush();
  }

  apply(values: PreparedValues, line: number): Duplicate | undefined {
    this.staging.add(values, line);
    return undefined;
  }

  finish(): Promise<LateDuplicate[]> {
    return (this.finished ??= this.settle());
  }

  private async settle(): Promise<LateDuplicate[]> {
    const dependents = await this.staging.dependents();
    const rows = new MemoryRows(dependents.customers, dependents.nextId);
    const writer = new CustomerWriter(rows, this.now);
    writer.prefetch(dependents.rows.map((r) => r.values));
    const late: LateDuplicate[] = [];
    for (const { seq, line, values } of dependents.rows) {
      rows.seq = seq;
      const dup = writer.apply(values, line);
      if (dup) late.push({ at: line, ...dup });
    }
    const independent = await this.staging.write(rows.final(), this.now);
    for (const k of ['inserted', 'updated', 'unchanged'] as const) this.counts[k] = independent[k] + writer.counts[k];
    return late;
  }
}
