/**
 * `mkt db copy SRC DST`: which way a copy goes. SQLite file → PostgreSQL is the move a
 * workspace makes when it outgrows one machine (./pg/copy.ts); PostgreSQL → SQLite file is the
 * way back (./pg/copy-to-sqlite.ts), into a file that is created with the schema when missing.
 * Both move the same tables with the same checks (./pg/copy-tables.ts). SQLite → SQLite and
 * PostgreSQL → PostgreSQL are refused as usage errors (`db backup`, `pg_dump` do those). The
 * PostgreSQL modules load only here.
 */
import { existsSync, rmSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { StoredAddressRecheck } from './address-recheck-sql.js';
import { openStore } from './open.js';
import { describeTarget, parseDbTarget } from './target.js';
import type { CopyGuards, CopyResult } from './pg/copy-tables.js';

export type { CopyGuards, CopyResult };

export async function copyDatabase(
  source: string,
  target: string,
  opts: { cwd: string; replace?: boolean; recheck?: StoredAddressRecheck; guards?: CopyGuards; answerWithinMs?: number; connectWithinMs?: number },
): Promise<CopyResult> {
  const src = parseDbTarget(source, opts.cwd);
  const dst = parseDbTarget(target, opts.cwd);
  const names = { replace: opts.replace, sourceName: describeTarget(src), targetName: describeTarget(dst), guards: opts.guards };
  if (src.kind === 'sqlite' && dst.kind === 'postgres') {
    // the source is opened as any read command opens it: it must exist (78), is migrated to the
    // schema the target has, and its addresses brought to the canonical rule (the caller's recheck)
    const store = openStore(src.path, 'read', { recheck: opts.recheck });
    try {
      const [{ openPgStore }, { copySqliteToPg }] = await Promise.all([import('./pg/open.js'), import('./pg/copy.js')]);
      // the copy runs on one connection; a second is spare
      const pg = await openPgStore(dst.url, { max: 2, connectWithinMs: opts.connectWithinMs });
      try {
        return await copySqliteToPg(store, pg, names);
      } finally {
        await pg.close();
      }
    } finally {
      store.close();
    }
  }
  if (src.kind === 'postgres' && dst.kind === 'sqlite') {
    const [{ openPgStore }, { copyPgToSqlite }] = await Promise.all([import('./pg/open.js'), import('./pg/copy-to-sqlite.js')]);
    // the source first: an unreachable server (69) leaves no new file behind
    const pg = await openPgStore(src.url, { max: 2, connectWithinMs: opts.connectWithinMs });
    try {
      const created = !existsSync(dst.path);
      // a missing file is created private and migrated; rows copied from PostgreSQL are
      // canonical already, and the recheck records that for the new file
      const store = openStore(dst.path, 'write', { recheck: opts.recheck });
      let ok = false;
      try {
        const result = await copyPgToSqlite(pg, store, { ...names, ...(opts.answerWithinMs ? { answerWithinMs: opts.answerWithinMs } : {}) });
        ok = true;
        return result;
      } finally {
        store.close();
        // a failed copy into a file it created leaves no file: the target is as it was
        if (!ok && created) for (const f of [dst.path, `${dst.path}-wal`, `${dst.path}-shm`]) rmSync(f, { force: true });
      }
    } finally {
      await pg.close();
    }
  }
  throw new UsageError(`db copy copies between an SQLite file and PostgreSQL, either way (got ${src.kind} → ${dst.kind})`, {
    code: 'copy_direction',
    hint: src.kind === 'sqlite' ? 'mkt db copy .mkt/mkt.db postgres://user@host:5432/db (or `mkt db backup FILE` for a copy of the file)' : 'mkt db copy postgres://user@host:5432/db .mkt/mkt.db (or pg_dump for a copy of the database)',
  });
}
