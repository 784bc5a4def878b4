/**
 * Opens the store a target names, as repositories. The PostgreSQL modules (and `pg` itself)
 * are imported only for a `postgres://` target: a SQLite run never loads them.
 */
import type { Repositories } from './repositories.js';
import type { DbTarget } from './target.js';

/**
 * Connections the one PostgreSQL pool of a process may open: a send's concurrency plus a few.
 * A send needs far fewer connections than requests in flight (claims and outcome batches are
 * one short transaction each, and outcome writes never overlap), so `concurrency` is a ceiling
 * that never starves it; the headroom is the worker heartbeat, a claim and an outcome batch at
 * once, and a status read.
 */
export const POOL_HEADROOM = 4;

export function poolSizeFor(concurrency: number): number {
  return concurrency + POOL_HEADROOM;
}

/** `connectWithinMs`: how long PostgreSQL may take to give a connection (src/db/pg/open.ts; MKT_DB_CONNECT_S). */
export async function openRepositories(target: DbTarget, opts: { poolSize?: number; connectWithinMs?: number } = {}): Promise<Repositories> {
  if (target.kind === 'sqlite') {
    const { openSqliteRepositories } = await import('./sqlite-repositories.js');
    return openSqliteRepositories(target.path);
  }
  const [{ openPgStore }, { pgRepositories }] = await Promise.all([import('./pg/open.js'), import('./pg/repositories.js')]);
  return pgRepositories(await openPgStore(target.url, { max: opts.poolSize, connectWithinMs: opts.connectWithinMs }));
}
