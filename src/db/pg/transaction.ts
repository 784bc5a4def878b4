/**
 * One unit of work on one pooled connection: BEGIN, the work, COMMIT; ROLLBACK on any error
 * (and the error rethrown). The connection goes back to the pool either way, except a broken one.
 *
 * While checked out, a client whose server goes away emits 'error' between queries; with no
 * listener that would crash the process, so it is heard here and the next query reports it. A
 * broken connection is destroyed, not handed to the next caller.
 *
 * `answerWithinMs` bounds every statement of the unit (BEGIN and COMMIT too): a server that
 * stops answering (halted, a network that drops packets, a lock held for longer) fails the
 * unit with ETIMEDOUT, a connection error, after that long, and the connection is destroyed.
 * Not node-postgres' `query_timeout`: it rejects the query but leaves the client waiting for an
 * answer that never comes, so every later query on it hangs and the pool hands it out again
 * (brianc/node-postgres#3399). Not `statement_timeout` either: a halted server enforces nothing.
 * The server, once it runs again, finds the connection closed and rolls the unit back, unless
 * the COMMIT had reached it: a unit whose COMMIT timed out may have been applied (the same
 * doubt as a connection lost during COMMIT).
 */
import type pg from 'pg';
import { isConnectionError } from '../connection-errors.js';

export interface TransactionLimits {
  /** how long to wait for a connection from the pool */
  connectWithinMs?: number;
  /** how long each statement may wait for the server's answer */
  answerWithinMs?: number;
  /** an advisory lock (two keys) held from before BEGIN until after COMMIT/ROLLBACK */
  sessionLock?: readonly [number, number];
}

export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>, opts: TransactionLimits = {}): Promise<T> {
  const pooled = await (opts.connectWithinMs === undefined ? pool.connect() : connectWithin(pool, opts.connectWithinMs));
  let hung = false;
  const client = opts.answerWithinMs === undefined ? pooled : answeringWithin(pooled, opts.answerWithinMs, () => (hung = true));
  const heard = () => {};
  pooled.on('error', heard);
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
    // a hung connection would not answer the ROLLBACK either: closing it rolls back
    if (!hung) await client.query('ROLLBACK').catch(() => {});
    broken = hung || isConnectionError(error);
    throw error;
  } finally {
    if (locked && !broken) await client.query('SELECT pg_advisory_unlock($1, $2)', [...opts.sessionLock!]).catch(() => (broken = true));
    pooled.off('error', heard);
    // release(true) ends the client: with a query still waiting, node-postgres destroys the socket
    pooled.release(broken);
  }
}

/**
 * The client with each `query` raced against a deadline; `hung` is told when one is missed, so
 * the caller destroys the connection (its protocol state is lost: the answer may still come).
 */
function answeringWithin(client: pg.PoolClient, ms: number, hung: () => void): pg.PoolClient {
  const query = (...args: unknown[]): Promise<unknown> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        hung();
        reject(Object.assign(new Error(`PostgreSQL did not answer within ${ms} ms`), { code: 'ETIMEDOUT' }));
      }, ms);
    });
    // the late answer (or the "Connection terminated" of the destroyed socket) is handled by the race
    return Promise.race([(client.query as (...a: unknown[]) => Promise<unknown>).apply(client, args), deadline]).finally(() => clearTimeout(timer));
  };
  return new Proxy(client, { get: (target, key) => (key === 'query' ? query : (Reflect.get(target, key) as unknown)) });
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
