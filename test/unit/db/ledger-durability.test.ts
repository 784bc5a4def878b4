/**
 * Durability of the ledger's writes. A claim must be on disk before the provider is called: with
 * SQLite's synchronous = NORMAL a WAL commit is synced only at the next checkpoint, so a power cut
 * could undo claims of messages already sent, and the resumed send would send them again. The
 * store therefore opens with synchronous = FULL; only outcome batches (whose loss leaves rows
 * `sending`, hence `unknown`, never resent) are written without waiting for the disk.
 * What is checked: the synchronous mode in force at each COMMIT, from the statements SQLite ran.
 */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Ledger } from '../../../src/db/ledger.js';
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

/** The ledger on a connection that logs every statement, with the store's synchronous mode. */
function tracedLedger() {
  const log: string[] = [];
  const sqlite = new Database(file, { verbose: (sql) => log.push(String(sql).trim()) });
  sqlite.pragma('synchronous = FULL');
  log.length = 0;
  /** Each COMMIT with the transaction's BEGIN and the synchronous mode then in force. */
  const commits = () => {
    const out: Array<{ begin: string; mode: string }> = [];
    let mode = 'FULL';
    let begin = '';
    for (const sql of log) {
      const m = /^PRAGMA synchronous = (\w+)$/i.exec(sql);
      if (m) mode = m[1]!.toUpperCase();
      else if (/^BEGIN/i.test(sql)) begin = sql.toUpperCase();
      else if (/^COMMIT/i.test(sql)) out.push({ begin, mode });
    }
    return { out, mode };
  };
  return { sqlite, log, commits, ledger: new Ledger(sqlite, 1, 'sms', 'p') };
}

describe('ledger durability', () => {
  it('the store opens with synchronous = FULL', () => {
    const store = openStore(file);
    try {
      expect(store.sqlite.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      store.close();
    }
  });

  it('claims commit with synchronous = FULL; outcome batches relax it and restore it', () => {
    const { sqlite, ledger, commits } = tracedLedger();
    try {
      const { claimed } = ledger.claim(4, Date.now(), { pickSender: () => 'A' });
      expect(claimed).toHaveLength(4);
      ledger.record(claimed.map((r) => ({ id: r.id, state: 'sent' as const, providerMessageId: `m${r.id}` })), Date.now());
      ledger.claim(3, Date.now(), { pickSender: () => 'A' });
      const { out, mode } = commits();
      expect(out).toEqual([
        { begin: 'BEGIN IMMEDIATE', mode: 'FULL' },
        { begin: 'BEGIN', mode: 'NORMAL' },
        { begin: 'BEGIN IMMEDIATE', mode: 'FULL' },
      ]);
      expect(mode).toBe('FULL');
      expect(sqlite.pragma('synchronous', { simple: true })).toBe(2);
    } finally {
      sqlite.close();
    }
  });

  it('a failed outcome batch still restores synchronous = FULL', () => {
    const { sqlite, ledger } = tracedLedger();
    try {
      const { claimed } = ledger.claim(1, Date.now(), { pickSender: () => 'A' });
      // a value SQLite cannot bind makes the batch throw inside its transaction
      expect(() => ledger.record([{ id: claimed[0]!.id, state: 'sent', providerMessageId: {} as unknown as string }], Date.now())).toThrow();
      expect(sqlite.pragma('synchronous', { simple: true })).toBe(2);
      expect(sqlite.prepare(`SELECT state FROM campaign_recipients WHERE id = ?`).get(claimed[0]!.id)).toEqual({ state: 'sending' });
    } finally {
      sqlite.close();
    }
  });
});
