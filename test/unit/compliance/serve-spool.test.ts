/**
 * The spool of `mkt serve` with a real database and a second connection holding the write lock:
 * what it refuses is spooled, replayed once the lock is gone, survives a server that stops while
 * the lock is still held, and is 503 + Retry-After when even the spool cannot take it; a file
 * moved away (db copy) seals it: nothing more is applied to the file, everything is kept.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { WorkspaceSettings } from '../../../src/compliance/config.js';
import { createFeedbackServer } from '../../../src/compliance/serve.js';
import { recordApplier, type ServeRecord } from '../../../src/compliance/serve-records.js';
import { DurableQueue, SpoolUnavailable, spoolFile } from '../../../src/compliance/serve-spool.js';
import { UnsubscribeTokens } from '../../../src/compliance/tokens.js';
import { isSqliteError } from '../../../src/db/serve-sql.js';
import { sqliteTrackingStore } from '../../../src/db/sqlite-tracking.js';
import { openStore, type Store } from '../../../src/db/open.js';
import { isStoreMoved, markMoved } from '../../../src/db/store-moved.js';

const dirs: string[] = [];
const stores: Store[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fixture() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-spool-'));
  dirs.push(dir);
  const db = path.join(dir, '.mkt', 'mkt.db');
  const store = openStore(db);
  stores.push(store);
  sqliteTrackingStore(store).setBusyTimeout(0);
  const other = new Database(db);
  const lock = () => other.exec('BEGIN IMMEDIATE');
  const unlock = () => other.exec('COMMIT');
  const lines: string[] = [];
  const open = () => DurableQueue.open<ServeRecord>({ dbFile: db, apply: recordApplier(sqliteTrackingStore(store), (l) => lines.push(l)), retryable: isSqliteError, log: (l) => lines.push(l), retryMs: 20 });
  const suppressed = () => (store.sqlite.prepare('SELECT address FROM suppressions ORDER BY address').all() as Array<{ address: string }>).map((r) => r.address);
  return { dir, db, store, other, lock, unlock, open, lines, suppressed };
}

const bounce = (address: string): ServeRecord => ({
  t: 'feedback',
  at: 1,
  what: 'test',
  events: [{ source: 'ses', kind: 'bounce', payload: '{}', suppress: [{ channel: 'email', address, reason: 'bounced' }] }],
});

const until = async (f: () => boolean) => {
  for (let i = 0; i < 200 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe('serve spool', () => {
  it('commits at once when it can; spools what a locked store refuses and replays it in order once the lock is gone', async () => {
    const f = fixture();
    const q = await f.open();
    expect(await q.submit(bounce('a@example.org'))).toBe('committed');
    f.lock();
    expect(await Promise.all([q.submit(bounce('b@example.org')), q.submit(bounce('c@example.org'))])).toEqual(['spooled', 'spooled']);
    f.unlock();
    // while records wait, a new one queues behind them even though the store would take it
    expect(await q.submit(bounce('d@example.org'))).toBe('spooled');
    await until(() => q.backlog === 0 && readFileSync(spoolFile(f.db), 'utf8') === '');
    expect(f.suppressed()).toEqual(['a@example.org', 'b@example.org', 'c@example.org', 'd@example.org']);
    expect(readFileSync(spoolFile(f.db), 'utf8')).toBe('');
    await q.close();
    expect(existsSync(spoolFile(f.db))).toBe(false);
    f.other.close();
  });

  it('an apply that takes time (a PostgreSQL round trip) keeps the order asked: once one record is spooled, those asked after it follow it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-spool-order-'));
    dirs.push(dir);
    const applied: number[] = [];
    let refuse = 1;
    const queue = await DurableQueue.open<number>({
      dbFile: path.join(dir, 'store'),
      apply: async (records) => {
        await new Promise((r) => setTimeout(r, 5));
        if (refuse-- > 0) throw Object.assign(new Error('connection refused'), { code: 'ECONNREFUSED' });
        applied.push(...records);
      },
      retryable: () => true,
      log: () => undefined,
      retryMs: 10,
    });
    // asked together: the first is refused while the others wait for their turn
    const answers = await Promise.all([1, 2, 3, 4].map((n) => queue.submit(n)));
    expect(answers).toEqual(['spooled', 'spooled', 'spooled', 'spooled']);
    for (let i = 0; i < 200 && applied.length < 4; i++) await new Promise((r) => setTimeout(r, 10));
    expect(applied).toEqual([1, 2, 3, 4]);
    expect(await queue.submit(5)).toBe('committed');
    await queue.close();
    expect(applied).toEqual([1, 2, 3, 4, 5]);
    expect(existsSync(spoolFile(path.join(dir, 'store')))).toBe(false);
  });

  it('keeps what a server stopping under the lock could not replay, and the next server replays it; spools of dead servers are adopted', async () => {
    const f = fixture();
    const q1 = await f.open();
    f.lock();
    await q1.submit(bounce('a@example.org'));
    await q1.close();
    expect(readFileSync(spoolFile(f.db), 'utf8').trimEnd().split('\n')).toHaveLength(1);
    // a server that died (its pid is gone) left a spool with a torn last append
    const dead = spawnSync(process.execPath, ['-e', '0']).pid;
    writeFileSync(spoolFile(f.db, dead), JSON.stringify(bounce('b@example.org')) + '\n{"t":"feedb');
    f.unlock();
    const q2 = await f.open();
    expect(f.suppressed()).toEqual(['a@example.org', 'b@example.org']);
    expect(existsSync(spoolFile(f.db, dead))).toBe(false);
    expect(f.lines.join('\n')).toContain('torn last line');
    await q2.close();
    f.other.close();
  });

  it('a file moved away under the lock (db copy) seals the queue: what was spooled and everything after stays in the spool, none of it in the old file', async () => {
    const f = fixture();
    const sealed: string[] = [];
    const q = await DurableQueue.open<ServeRecord>({
      dbFile: f.db,
      apply: recordApplier(sqliteTrackingStore(f.store), (l) => f.lines.push(l)),
      retryable: isSqliteError,
      sealed: isStoreMoved,
      onSealed: (e) => sealed.push((e as { code?: string }).code ?? ''),
      log: (l) => f.lines.push(l),
      retryMs: 20,
    });
    // the copy holds the file's write lock; serve spools; the copy marks the file and commits
    f.lock();
    expect(await q.submit(bounce('a@example.org'))).toBe('spooled');
    markMoved(f.other, 'postgres://u:pw@db.example:5432/mkt', 1);
    f.unlock();
    // the retry finds the mark under its own write lock and seals, replaying nothing into the file
    await until(() => sealed.length > 0);
    expect(sealed).toEqual(['store_moved']);
    expect(q.sealed).toMatchObject({ code: 'store_moved' });
    expect(await q.submit(bounce('b@example.org'))).toBe('spooled');
    expect(await q.submit(bounce('c@example.org'))).toBe('spooled');
    await new Promise((r) => setTimeout(r, 100)); // several retry periods: no retry runs
    expect([q.spooled, q.backlog]).toEqual([3, 0]); // on disk, not held in memory
    await q.close();
    expect(sealed).toHaveLength(1);
    expect(f.suppressed()).toEqual([]);
    const kept = readFileSync(spoolFile(f.db), 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as Extract<ServeRecord, { t: 'feedback' }>).events[0]!.suppress![0]!.address);
    expect(kept).toEqual(['a@example.org', 'b@example.org', 'c@example.org']);
    expect(f.lines.join('\n')).toContain('3 spooled record(s) stay in');
    f.other.close();
  });

  it('an idle server notices the move between writes: one store_moved line, /healthz says it, the opt-out after it is spooled (200), the file untouched', async () => {
    const f = fixture();
    f.store.sqlite.prepare("INSERT INTO customers (email, email_opt_in, created_at, updated_at) VALUES ('ana@example.org', 1, 0, 0)").run();
    const settings: WorkspaceSettings = { quietHours: {}, frequencyCap: {}, delivery: {}, feedback: undefined, dir: f.dir };
    const tokens = new UnsubscribeTokens({ keyId: 'k1', secret: 'spool-test-secret-0123456789' });
    const serve = await createFeedbackServer({ store: sqliteTrackingStore(f.store), dbFile: f.db, settings, tokens, now: () => 5, log: (l) => f.lines.push(l), movedCheckMs: 20 });
    await new Promise<void>((r) => serve.server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(serve.server.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
      f.other.exec('BEGIN IMMEDIATE');
      markMoved(f.other, 'postgres://u:pw@db.example:5432/mkt', 1);
      f.unlock();
      await until(() => serve.storeMoved() !== undefined);
      expect(f.lines.filter((l) => l.startsWith('error store_moved: '))).toHaveLength(1);
      expect(f.lines.join('\n')).toContain('was moved to postgres://db.example:5432/mkt');
      const health = await fetch(`${base}/healthz`);
      expect([health.status, (await health.text()).startsWith('store_moved: ')]).toEqual([200, true]);
      const url = `${base}/u/${tokens.sign({ campaignId: 1, customerId: 1, channel: 'email' })}`;
      const post = await fetch(url, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
      expect(post.status).toBe(200);
      expect(f.suppressed()).toEqual([]);
      expect(readFileSync(spoolFile(f.db), 'utf8').trimEnd().split('\n')).toHaveLength(1);
      expect(f.lines.filter((l) => l.startsWith('error store_moved: '))).toHaveLength(1);
    } finally {
      await new Promise((r) => serve.server.close(r));
      await serve.close(0);
      f.other.close();
    }
    expect(serve.storeMoved()).toMatchObject({ code: 'store_moved' });
  });

  it('answers 503 with Retry-After when neither the store nor the spool takes an opt-out, and 200 again once the store does', async () => {
    const f = fixture();
    f.store.sqlite.prepare("INSERT INTO customers (email, email_opt_in, created_at, updated_at) VALUES ('ana@example.org', 1, 0, 0)").run();
    mkdirSync(spoolFile(f.db)); // the spool cannot be created
    const settings: WorkspaceSettings = { quietHours: {}, frequencyCap: {}, delivery: {}, feedback: undefined, dir: f.dir };
    const tokens = new UnsubscribeTokens({ keyId: 'k1', secret: 'spool-test-secret-0123456789' });
    const serve = await createFeedbackServer({ store: sqliteTrackingStore(f.store), dbFile: f.db, settings, tokens, now: () => 5, log: () => undefined });
    await new Promise<void>((r) => serve.server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(serve.server.address() as AddressInfo).port}/u/${tokens.sign({ campaignId: 1, customerId: 1, channel: 'email' })}`;
    const post = () => fetch(url, { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    try {
      f.lock();
      const busy = await post();
      expect(busy.status).toBe(503);
      expect(busy.headers.get('retry-after')).toMatch(/^\d+$/);
      expect((await fetch(url.replace(/\/u\/.*/, '/healthz'))).status).toBe(200);
      f.unlock();
      expect((await post()).status).toBe(200);
      expect(f.suppressed()).toEqual(['ana@example.org']);
    } finally {
      await new Promise((r) => serve.server.close(r));
      await serve.close(0);
      f.other.close();
    }
  });

  it('the spool file is created on the first record it must hold, 0600: a server that never spooled leaves none (was: an empty file from open)', async () => {
    const f = fixture();
    const q = await f.open();
    expect(existsSync(spoolFile(f.db))).toBe(false);
    expect(await q.submit(bounce('a@example.org'))).toBe('committed');
    expect(existsSync(spoolFile(f.db))).toBe(false);
    f.lock();
    expect(await q.submit(bounce('b@example.org'))).toBe('spooled');
    expect(statSync(spoolFile(f.db)).mode & 0o777).toBe(0o600);
    f.unlock();
    await q.close();
    expect(existsSync(spoolFile(f.db))).toBe(false);
    // never started serving at all (a failed listen): nothing is left either
    await (await f.open()).close();
    expect(existsSync(spoolFile(f.db))).toBe(false);
    f.other.close();
  });

  it('a symlink under the spool name is never written or read through: the record is refused (503), the target untouched', async () => {
    const f = fixture();
    const target = path.join(f.dir, 'elsewhere.txt');
    writeFileSync(target, 'precious\n');
    symlinkSync(target, spoolFile(f.db));
    const q = await f.open();
    f.lock();
    await expect(q.submit(bounce('a@example.org'))).rejects.toBeInstanceOf(SpoolUnavailable);
    expect(f.lines.join('\n')).toMatch(/cannot write the spool .*symlink_refused/);
    expect(f.lines.join('\n')).not.toContain('unreadable line');
    f.unlock();
    await q.close();
    expect(readFileSync(target, 'utf8')).toBe('precious\n');
    f.other.close();
  });
});
