/**
 * Opens the store a target names, as repositories. The PostgreSQL modules (and `pg` itself)
 * are imported only for a `postgres://` target: a SQLite run never loads them.
 */
import type { Repositories } from './repositories.js';
import type { DbTarget } from './target.js';

export async function openRepositories(target: DbTarget, opts: { poolSize?: number } = {}): Promise<Repositories> {
  if (target.kind === 'sqlite') {
    const { openSqliteRepositories } = await import('./sqlite-repositories.js');
    return openSqliteRepositories(target.path);
  }
  const [{ openPgStore }, { pgRepositories }] = await Promise.all([import('./pg/open.js'), import('./pg/repositories.js')]);
  return pgRepositories(await openPgStore(target.url, { max: opts.poolSize }));
}
