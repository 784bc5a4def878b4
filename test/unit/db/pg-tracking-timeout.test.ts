/**
 * A PostgreSQL server that accepts the connection and then says nothing (a network dropping
 * packets, a hung host) must not hold serve's answer: a unit of work gives up on the connection
 * after a few seconds with an error serve counts as the store refusing, so the opt-out is spooled
 * and answered. Nothing was sent to the server, so nothing can commit behind the spool's back.
 */
import net from 'node:net';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { pgTrackingStore } from '../../../src/db/pg/tracking.js';

const sockets: net.Socket[] = [];
const silent = net.createServer((s) => void sockets.push(s));
await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
const port = (silent.address() as net.AddressInfo).port;
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => silent.close(r));
});

describe('a PostgreSQL server that never answers', () => {
  it('a unit of work fails within seconds, as the store refusing (serve spools), with nothing run', async () => {
    const pool = new pg.Pool({ connectionString: `postgres://nobody@127.0.0.1:${port}/none`, max: 2 });
    pool.on('error', () => {});
    const store = pgTrackingStore(pool);
    let ran = false;
    const started = Date.now();
    const error = await store
      .transaction(async () => {
        ran = true;
      })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(ran).toBe(false);
    expect((error as { code?: string }).code).toBe('ETIMEDOUT');
    expect(store.refused(error)).toBe(true);
    for (const s of sockets) s.destroy();
    await pool.end().catch(() => {});
  }, 20_000);
});
