/**
 * The moved mark on an SQLite file (src/db/store-moved.ts) at the two places a race could slip
 * past the commands' check: a sender that opened the file before the move committed cannot
 * take its lease after it; and a copy up whose source was written to during the copy (a send,
 * serve) is refused (75) and rolled back on both sides, since those rows would be missing from
 * the target. The mark never holds a user or a password. Skipped parts need PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { acquireLease } from '../../../src/db/campaigns.js';
import { openStore } from '../../../src/db/open.js';
import { copySqliteToPg } from '../../../src/db/pg/copy.js';
import { openPgStore } from '../../../src/db/pg/open.js';
import { sqliteRepositories } from '../../../src/db/sqlite-repositories.js';
import { describeMove, markMoved, movedLocation, movedTo } from '../../../src/db/store-moved.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('store_moved');
const dir = mkdtempSync(path.join(tmpdir(), 'mkt-moved-'));
afterAll(async () => {
  await pgDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});
const T0 = Date.UTC(2026, 2, 2, 10);

async function workspaceFile(name: string) {
  const file = path.join(dir, name);
  const store = openStore(file);
  const campaign = await sqliteRepositories(store).campaigns.create({ name: 'spring', channel: 'email', segment: 'everyone', provider: 'outbox', template: 't' }, T0);
  return { store, campaign };
}

describe('the moved mark', () => {
  it('keeps host, port and database only, whatever the URL carries', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,8}$/), fc.string({ minLength: 1, maxLength: 12 }), fc.stringMatching(/^[a-z_]{1,10}$/), fc.integer({ min: 1, max: 65535 }), (user, password, db, port) => {
        const url = `postgres://${user}:${encodeURIComponent(password)}@db.example:${port}/${db}?sslmode=verify-full&password=${encodeURIComponent(password)}`;
        const m = movedLocation(url);
        expect(m).toEqual({ host: 'db.example', port, database: db });
        expect(describeMove(m)).toBe(`postgres://db.example:${port}/${db}`);
      }),
    );
  });

  it('a sender that opened the file before the move cannot take its lease after it (78, store_moved)', async () => {
    const { store, campaign } = await workspaceFile('lease.db');
    try {
      markMoved(store.sqlite, 'postgres://u:secret@db.example:5432/mkt', T0);
      expect(() => acquireLease(store, campaign.id, 'h:1:a', T0, 30_000, () => false)).toThrow(expect.objectContaining({ code: 'store_moved', category: 'config' }));
    } finally {
      store.close();
    }
  });

  it.skipIf(!pgDb)('a copy up whose source is written to meanwhile is refused (75) and leaves both sides as they were', async () => {
    const { store, campaign } = await workspaceFile('source.db');
    const target = await openPgStore(pgDb!.url, { max: 2 });
    try {
      await copySqliteToPg(store, target, { sourceName: 'source.db', targetName: 'target' });
      store.sqlite.exec('DELETE FROM store_moved');
      const writer = new Database(store.path);
      const copy = copySqliteToPg(store, target, {
        replace: true,
        sourceName: 'source.db',
        targetName: 'target',
        guards: {
          now: () => T0,
          // a send takes its lease while the copy runs (after the copy's snapshot)
          confirmReplace: async () => void writer.prepare('UPDATE campaigns SET lease_owner = ?, lease_expires_at = ? WHERE id = ?').run('h:2:b', T0 + 30_000, campaign.id),
        },
      });
      await expect(copy).rejects.toMatchObject({ code: 'copy_source_changed', category: 'resumable' });
      writer.close();
      expect(movedTo(store.sqlite)).toBeUndefined();
      // the target still holds the first copy: the replace was rolled back
      expect((await target.pool.query('SELECT name FROM campaigns')).rows).toEqual([{ name: 'spring' }]);
    } finally {
      await target.close();
      store.close();
    }
  });
});
