/**
 * `mkt db copy SRC DST`: which way a copy goes. SQLite file → PostgreSQL is the move a
 * workspace makes when it outgrows one machine (./pg/copy.ts does it); the other directions
 * are refused as usage errors until they exist. The PostgreSQL modules load only here.
 */
import { UsageError } from '../errors.js';
import { openStore } from './open.js';
import { describeTarget, parseDbTarget } from './target.js';
import type { CopyResult } from './pg/copy.js';

export type { CopyResult };

export async function copyDatabase(source: string, target: string, opts: { cwd: string; replace?: boolean }): Promise<CopyResult> {
  const src = parseDbTarget(source, opts.cwd);
  const dst = parseDbTarget(target, opts.cwd);
  if (src.kind !== 'sqlite' || dst.kind !== 'postgres') {
    throw new UsageError(`db copy copies an SQLite file into PostgreSQL (got ${src.kind} → ${dst.kind})`, {
      code: 'copy_direction',
      hint: 'mkt db copy .mkt/mkt.db postgres://user@host:5432/db',
    });
  }
  // the source is opened as any read command opens it: it must exist (78), and is migrated to the schema the target has
  const store = openStore(src.path, 'read');
  try {
    const [{ openPgStore }, { copySqliteToPg }] = await Promise.all([import('./pg/open.js'), import('./pg/copy.js')]);
    // the copy runs on one connection; a second is spare
    const pg = await openPgStore(dst.url, { max: 2 });
    try {
      return await copySqliteToPg(store, pg, { replace: opts.replace, sourceName: describeTarget(src), targetName: describeTarget(dst) });
    } finally {
      await pg.close();
    }
  } finally {
    store.close();
  }
}
