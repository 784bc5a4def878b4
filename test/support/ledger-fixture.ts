/**
 * One campaign with a ledger of pending rows (one opted-in email customer per address), on
 * either store, for the ledger tests that run the same cases against both (the model-based
 * test, the multi-worker claims). Rows are read back through the store's own driver, so the
 * test sees what is stored, not what the ledger says.
 */
import { openStore } from '../../src/db/open.js';
import { SqliteLedger, type Ledger, type LedgerState } from '../../src/db/ledger.js';
import { PostgresLedger, type PgLedgerOptions } from '../../src/db/pg/ledger.js';
import type { PgStore } from '../../src/db/pg/open.js';

export interface LedgerRowView {
  address: string;
  state: LedgerState;
  attempts: number;
  error_code: string | null;
  next_attempt_at: number | null;
}

export interface LedgerFixture {
  ledger: Ledger;
  /** Every ledger row, in id order. */
  rows(): Promise<LedgerRowView[]>;
  /** Suppresses an email address the way `suppress add` does (outside the ledger). */
  suppress(address: string, now: number): Promise<void>;
  /** Cancels the campaign the way `campaign cancel` does (its state, outside the ledger). */
  cancel(): Promise<void>;
  close(): Promise<void>;
}

export async function sqliteLedgerFixture(addresses: string[], now: number): Promise<LedgerFixture> {
  const store = openStore(':memory:');
  const db = store.sqlite;
  db.prepare("INSERT INTO campaigns (name, channel, segment, provider, template, state, created_at, updated_at) VALUES ('m', 'email', 's', 'p', 't', 'sending', ?, ?)").run(now, now);
  const customer = db.prepare('INSERT INTO customers (email, email_opt_in, created_at, updated_at) VALUES (?, 1, ?, ?)');
  const recipient = db.prepare("INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at) VALUES (1, ?, ?, 'pending', 0, ?)");
  for (const a of addresses) recipient.run(customer.run(a, now, now).lastInsertRowid, a, now);
  return {
    ledger: new SqliteLedger(db, 1, 'email', 'p'),
    rows: async () => db.prepare('SELECT address, state, attempts, error_code, next_attempt_at FROM campaign_recipients ORDER BY id').all() as LedgerRowView[],
    suppress: async (address, at) => {
      db.prepare("INSERT INTO suppressions (channel, address, reason, created_at) VALUES ('email', ?, 'manual', ?) ON CONFLICT DO NOTHING").run(address, at);
    },
    cancel: async () => {
      db.prepare("UPDATE campaigns SET state = 'cancelled' WHERE id = 1").run();
    },
    close: async () => store.close(),
  };
}

/**
 * The same campaign on a PostgreSQL store (already open and migrated): its tables emptied first,
 * so one database serves every run of a property. `close` leaves the store open (the caller's).
 */
export async function pgLedgerFixture(store: PgStore, addresses: string[], now: number, opts: PgLedgerOptions = {}): Promise<LedgerFixture> {
  await store.pool.query('TRUNCATE campaign_recipients, campaigns, customers, suppressions, sender_usage, workers, rate_buckets RESTART IDENTITY CASCADE');
  await store.pool.query("INSERT INTO campaigns (name, channel, segment, provider, template, state, created_at, updated_at) VALUES ('m', 'email', 's', 'p', 't', 'sending', $1, $1)", [now]);
  await store.pool.query(
    `WITH c AS (INSERT INTO customers (email, email_opt_in, created_at, updated_at) SELECT a, true, $2, $2 FROM unnest($1::text[]) WITH ORDINALITY AS t(a, n) ORDER BY n RETURNING id, email)
     INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at) SELECT 1, c.id, c.email, 'pending', 0, $2 FROM c ORDER BY c.id`,
    [addresses, now],
  );
  return {
    ledger: new PostgresLedger(store, 1, 'email', 'p', opts),
    rows: async () => (await store.pool.query<LedgerRowView>('SELECT address, state, attempts, error_code, next_attempt_at FROM campaign_recipients ORDER BY id')).rows,
    suppress: async (address, at) => {
      await store.pool.query("INSERT INTO suppressions (channel, address, reason, created_at) VALUES ('email', $1, 'manual', $2) ON CONFLICT DO NOTHING", [address, at]);
    },
    cancel: async () => {
      await store.pool.query("UPDATE campaigns SET state = 'cancelled' WHERE id = 1");
    },
    close: async () => {},
  };
}
