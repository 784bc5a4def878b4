/**
 * Durability of the ledger's writes. A claim must be on disk before the provider is called: with
 * SQLite's synchronous = NORMAL a WAL commit is synced only at the next checkpoint, so a power cut
 * could undo claims of messages already sent, and the resumed send would send them again. The
 * store therefore opens with synchronous = FULL; only outcome batches (whose loss leaves rows
 * `sending`, hence `unknown`, never resent) are written without waiting for the disk.
 * What is checked: the synchronous mode in force (read from SQLite) while each claim and outcome
 * statement runs.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteLedger } from '../../../src/db/ledger.js';
import { openStore } from '../../../src/db/open.js';

let dir: string;
let file: string;

beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-durable-'));
  file = path.join(dir, 'mkt.db');
  const store = openStore(file);
  const now = Date.now();
  store.sqlite.prepare(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (1, 'c', 'sms', 's', 'p', 't', ?, ?)`).run(now, now);
  for (let i = 0; i < 10; i++) {
    const phone = `+4915100${String(i).padStart(6, '0')}`;
    const id = store.sqlite.prepare(`INSERT INTO customers (phone, sms_opt_in, created_at, updated_at) VALUES (?, 1, ?, ?)`).run(phone, now, now).lastInsertRowid;
    store.sqlite.prepare(`INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at) VALUES (1, ?, ?, 'pending', 0, ?)`).run(id, phone, now);
  }
  store.close();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The ledger on its own connection (synchronous = FULL, as the store opens it), with the mode
 * actually in force read each time a claim or an outcome statement runs.
 */
function observedLedger() {
  const sqlite = new Database(file);
  sqlite.pragma('synchronous = FULL');
  const ledger = new SqliteLedger(sqlite, 1, 'sms', 'p');
  const seen: Array<{ statement: string; mode: number }> = [];
  const internals = ledger as unknown as Record<string, { run: (...a: unknown[]) => unknown }>;
  for (const statement of ['toSending', 'toSent']) {
    const stmt = internals[statement]!;
    const run = stmt.run.bind(stmt);
    internals[statement] = { run: (...a: unknown[]) => (seen.push({ statement, mode: sqlite.pragma('synchronous', { simple: true }) as number }), run(...a)) };
  }
  const modes = (statement: string) => [...new Set(seen.filter((s) => s.statement === statement).map((s) => s.mode))];
  return { sqlite, ledger, seen, modes };
}

const sent = (rows: Array<{ id: number }>) => rows.map((r) => ({ id: r.id, state: 'sent' as const, providerMessageId: `m${r.id}` }));
const FULL = 2;
const NORMAL = 1;

describe('ledger durability', () => {
  it('the store opens with synchronous = FULL', () => {
    const store = openStore(file);
    try {
      expect(store.sqlite.pragma('synchronous', { simple: true })).toBe(FULL);
    } finally {
      store.close();
    }
  });

  it('claims run with synchronous = FULL; every outcome batch with NORMAL, and FULL is back after each', async () => {
    const { sqlite, ledger, seen, modes } = observedLedger();
    try {
      for (let i = 0; i < 3; i++) {
        const { claimed } = await ledger.claim(3, Date.now(), { pickSender: () => 'A' });
        expect(claimed).toHaveLength(3);
        await ledger.record(sent(claimed), Date.now());
        expect(sqlite.pragma('synchronous', { simple: true })).toBe(FULL);
      }
      expect(seen).toHaveLength(18);
      expect(modes('toSending')).toEqual([FULL]);
      expect(modes('toSent')).toEqual([NORMAL]);
    } finally {
      sqlite.close();
    }
  });

  it('a failed outcome batch still restores synchronous = FULL and writes nothing', async () => {
    const { sqlite, ledger } = observedLedger();
    try {
      const { claimed } = await ledger.claim(2, Date.now(), { pickSender: () => 'A' });
      await ledger.record(sent(claimed.slice(0, 1)), Date.now());
      // a value SQLite cannot bind makes the batch throw inside its transaction
      await expect(ledger.record([{ id: claimed[1]!.id, state: 'sent', providerMessageId: {} as unknown as string }], Date.now())).rejects.toThrow();
      expect(sqlite.pragma('synchronous', { simple: true })).toBe(FULL);
      expect(sqlite.prepare(`SELECT state FROM campaign_recipients WHERE id = ?`).get(claimed[1]!.id)).toEqual({ state: 'sending' });
    } finally {
      sqlite.close();
    }
  });

  it('an outcome batch inside a caller\'s transaction commits with it (SQLite cannot change the mode there)', async () => {
    const { sqlite, ledger, modes } = observedLedger();
    try {
      const { claimed } = await ledger.claim(2, Date.now(), { pickSender: () => 'A' });
      // the batch's statements run synchronously inside the caller's transaction
      sqlite.transaction(() => void ledger.record(sent(claimed), Date.now()))();
      expect(modes('toSent')).toEqual([FULL]);
      expect(sqlite.prepare(`SELECT count(*) AS n FROM campaign_recipients WHERE state = 'sent'`).get()).toEqual({ n: 2 });
    } finally {
      sqlite.close();
    }
  });
});
