/**
 * The suppression list (table `suppressions`): addresses never to send to on a channel, kept
 * in canonical form by the callers (src/compliance/suppressions.ts). Writes are prepared once,
 * for loops (imports, feedback batches); reads are prepared per call.
 */
import type Database from 'better-sqlite3';
import type { Channel } from '../channels.js';
import type { Store } from './open.js';

export interface SuppressionRow {
  channel: Channel;
  address: string;
  reason: string;
  source: string | null;
  note: string | null;
  created_at: number;
}

const COLUMNS = 'channel, address, reason, source, note, created_at';

export class SuppressionRepository {
  private readonly insert: Database.Statement;
  private readonly remove: Database.Statement;

  constructor(private readonly sqlite: Database.Database) {
    // An address already suppressed keeps its first reason: that is when consent was lost.
    this.insert = sqlite.prepare(`
      INSERT INTO suppressions (channel, address, reason, source, note, created_at)
      VALUES (@channel, @address, @reason, @source, @note, @now)
      ON CONFLICT (channel, address) DO NOTHING`);
    this.remove = sqlite.prepare('DELETE FROM suppressions WHERE channel = ? AND address = ?');
  }

  /** True when the address was newly suppressed, false when it already was. */
  add(r: { channel: Channel; address: string; reason: string; source: string; note?: string | null }, now: number): boolean {
    return this.insert.run({ ...r, note: r.note ?? null, now }).changes === 1;
  }

  /** True when a suppression was lifted. */
  lift(channel: Channel, address: string): boolean {
    return this.remove.run(channel, address).changes === 1;
  }

  /** The suppression of one address, if any. */
  get(channel: Channel, address: string): SuppressionRow | undefined {
    return this.sqlite.prepare(`SELECT ${COLUMNS} FROM suppressions WHERE channel = ? AND address = ?`).get(channel, address) as SuppressionRow | undefined;
  }

  /** Every suppression, or one channel's, oldest first. */
  list(channel?: Channel): SuppressionRow[] {
    const base = `SELECT ${COLUMNS} FROM suppressions`;
    return (channel ? this.sqlite.prepare(`${base} WHERE channel = ? ORDER BY created_at, id`).all(channel) : this.sqlite.prepare(`${base} ORDER BY channel, created_at, id`).all()) as SuppressionRow[];
  }

  /** Which of `addresses` are suppressed on `channel`: one statement, the list bound as one JSON array. */
  matching(channel: Channel, addresses: string[]): Set<string> {
    if (addresses.length === 0) return new Set();
    const rows = this.sqlite
      .prepare('SELECT address FROM suppressions WHERE channel = ? AND address IN (SELECT value FROM json_each(?))')
      .all(channel, JSON.stringify(addresses)) as Array<{ address: string }>;
    return new Set(rows.map((r) => r.address));
  }
}

export const suppressionRepository = (store: Store): SuppressionRepository => new SuppressionRepository(store.sqlite);
