/**
 * One unit of work on one pooled connection: BEGIN, the work, COMMIT; ROLLBACK on any error
 * (and the error rethrown). The connection goes back to the pool either way, except a broken one.
 *
 * While checked out, a client whose server goes away emits 'error' between queries; with no
 * listener that would crash the process, so it is heard here and the next query reports it. A
 * broken connection is destroyed, not handed to the next caller.
 */
import type pg from 'pg';
import { isConnectionError } from '../connection-errors.js';

export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
  opts: { connectWithinMs?: number; sessionLock?: readonly [number, number] } = {},
): Promise<T> {
  const client = await (opts.connectWithinMs === undefined ? pool.connect() : connectWithin(pool, opts.connectWithinMs));
  const heard = () => {};
  client.on('error', heard);
  let broken = false;
  let locked = false;
  try {
    // an advisory lock taken before BEGIN, so that a REPEATABLE READ snapshot is taken after it
    // was granted (a lock taken inside would be waited for after the snapshot); released below
    if (opts.sessionLock) {
      await client.query('SELECT pg_advisory_lock($1, $2)', [...opts.sessionLock]);
      locked = true;
    }
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    broken = isConnectionError(error);
    throw error;
  } finally {
    if (locked && !broken) await client.query('SELECT pg_advisory_unlock($1, $2)', [...opts.sessionLock!]).catch(() => (broken = true));
    client.off('error', heard);
    // a broken connection is destroyed, and the server drops its locks with it
    client.release(broken);
  }
}

/**
 * A connection from the pool, or ETIMEDOUT after `ms` (a server that drops packets instead of
 * refusing them): nothing was sent yet, so the caller may keep its work for later. A connection
 * that arrives after that goes back to the pool.
 */
function connectWithin(pool: pg.Pool, ms: number): Promise<pg.PoolClient> {
  return new Promise((resolve, reject) => {
    let late = false;
    const timer = setTimeout(() => {
      late = true;
      reject(Object.assign(new Error(`no PostgreSQL connection within ${ms} ms`), { code: 'ETIMEDOUT' }));
    }, ms);
    pool.connect().then(
      (client) => {
        clearTimeout(timer);
        if (late) client.release();
        else resolve(client);
      },
      (error: Error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/**
 * A fragment written with `?` placeholders (the SQL both stores share, e.g. exclusion rules)
 * with them numbered `$n`, starting after `before` parameters already bound. `?` inside a
 * quoted literal is left alone.
 */
export function numbered(text: string, before: number): string {
  let n = before;
  return text.replace(/'(?:[^']|'')*'|\?/g, (m) => (m === '?' ? `$${++n}` : m));
}
