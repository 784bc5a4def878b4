/**
 * The lock between `db copy` and starting workers (PostgreSQL): while a copy holds COPY_LOCK (from
 * its check for live workers to its commit) a worker cannot register; it waits, and once the copy
 * has committed it registers only if its campaign is still the one it read, else it stops (75,
 * `store_replaced`) without a row in the registry. Skipped without a PostgreSQL server.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { MktError } from '../../../src/errors.js';
import { openPgStore, type PgStore } from '../../../src/db/pg/open.js';
import { COPY_LOCK, registerWorker } from '../../../src/db/pg/workers.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('copy_lock');
const store: PgStore | undefined = pgDb ? await openPgStore(pgDb.url) : undefined;
afterAll(async () => {
  await store?.close();
  await pgDb?.drop();
});

const T0 = Date.UTC(2026, 2, 2, 10);
const addCampaign = (q: { query: (text: string, values?: unknown[]) => Promise<unknown> }, name: string) =>
  q.query(`INSERT INTO campaigns (id, name, channel, segment, provider, template, state, created_at, updated_at) VALUES (1, $1, 'email', 's', 'p', 't', 'prepared', $2, $2)`, [name, T0]);

/** Backends of this database waiting for the copy lock (bounded wait for the first to queue). */
async function waitersForCopyLock(): Promise<number> {
  for (let i = 0; i < 250; i++) {
    const { rows } = await store!.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1 AND objid = $2
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
      [...COPY_LOCK],
    );
    if (rows[0]!.n > 0) return rows[0]!.n;
    await sleep(20);
  }
  return 0;
}

describe.skipIf(!store)('db copy and starting workers take one lock', () => {
  it('a worker waits for the copy holding the lock, then refuses to register on a campaign the copy replaced', async () => {
    await addCampaign(store!.pool, 'spring');
    const copy = await store!.pool.connect();
    let settled = false;
    try {
      await copy.query('BEGIN');
      await copy.query('SELECT pg_advisory_xact_lock($1, $2)', [...COPY_LOCK]);
      const registering = registerWorker(store!, { id: 'h:1:a', campaignId: 1, host: 'h', pid: 1, startedAt: T0 }, T0, 'spring').then(
        () => undefined,
        (e: unknown) => e,
      );
      void registering.finally(() => (settled = true));
      expect(await waitersForCopyLock()).toBe(1);
      expect(settled).toBe(false);
      // the copy replaces what the worker read, then commits
      await copy.query('TRUNCATE campaigns, workers RESTART IDENTITY CASCADE');
      await addCampaign(copy, 'other');
      await copy.query('COMMIT');
      const error = await registering;
      expect(error).toBeInstanceOf(MktError);
      expect(error).toMatchObject({ code: 'store_replaced', category: 'resumable' });
      expect((await store!.pool.query('SELECT id FROM workers')).rows).toEqual([]);
    } finally {
      copy.release();
    }
    // no copy running: a worker of a campaign that is there registers at once
    await registerWorker(store!, { id: 'h:1:b', campaignId: 1, host: 'h', pid: 1, startedAt: T0 }, T0, 'other');
    expect((await store!.pool.query('SELECT id FROM workers')).rows).toEqual([{ id: 'h:1:b' }]);
  });
});
