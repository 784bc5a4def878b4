/**
 * One unit of work on one pooled connection: BEGIN, the work, COMMIT; ROLLBACK on any error
 * (and the error rethrown). The connection goes back to the pool either way.
 */
import type pg from 'pg';

export async function inTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  } finally {
    client.release();
  }
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
