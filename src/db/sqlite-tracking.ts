/**
 * The SQLite store's TrackingStore (./tracking-store.ts): the synchronous serve, feedback and
 * engagement repositories, wrapped. A transaction is BEGIN IMMEDIATE … COMMIT on the one
 * connection (the store opens it with synchronous = FULL: the commit is fsync'ed), so with a
 * busy timeout of 0 a locked database refuses at once and serve spools instead of waiting.
 * A file marked moved (store-moved.ts) refuses every unit of work with `store_moved`.
 */
import type { RecipientTimes } from './engagement.js';
import type { Store } from './open.js';
import { isSqliteError, ServeRepository } from './serve-sql.js';
import { movedTo, storeMovedError } from './store-moved.js';
import type { TrackingStore, TrackingTx } from './tracking-store.js';

export function sqliteTrackingStore(store: Store): TrackingStore {
  let serve: ServeRepository | undefined;
  // prepared on first use: commands that never track never prepare these statements
  const repo = () => (serve ??= new ServeRepository(store.sqlite));
  let tx: TrackingTx | undefined;
  const unitOfWork = (): TrackingTx => {
    const r = repo();
    const { engagement: e, feedback: f } = r;
    return (tx ??= {
      engagement: {
        campaignSettings: async (id) => e.campaignSettings(id),
        linkCount: async (id) => e.linkCount(id),
        recipients: async (c, ids) => {
          const out = new Map<number, RecipientTimes>();
          for (const id of ids) {
            const who = e.recipient(c, id);
            if (who) out.set(id, who);
          }
          return out;
        },
        registerLinks: async (c, links, now) => e.registerLinks(c, links, now),
        recordBatch: async (hits) => e.recordBatch(hits),
        moveToMachine: async (moves) => e.moveToMachine(moves),
      },
      feedback: {
        find: async (ref) => f.find(ref),
        seenBefore: async (source, kind, pid, payload) => f.seenBefore(source, kind, pid, payload),
        log: async (source, kind, pid, address, payload, now) => f.log(source, kind, pid, address, payload, now),
        delivery: async (id, status, at, now) => f.delivery(id, status, at, now),
        provenSent: async (id, pid, at, now) => f.provenSent(id, pid, at, now),
        suppressedFor: async (channel, address) => f.suppressedFor(channel, address),
        suppress: async (s, now) => f.suppressions.add(s, now),
        lift: async (channel, address) => f.suppressions.lift(channel, address),
        unsubscribeAddress: async (s) => r.unsubscribeAddress(s),
      },
    });
  };
  // one unit of work at a time on the one connection, whoever asks
  let chain: Promise<unknown> = Promise.resolve();
  return {
    links: async (id) => repo().engagement.links(id),
    link: async (id, linkId) => repo().engagement.link(id, linkId),
    registerLinks: async (id, links, now) => repo().engagement.registerLinks(id, links, now),
    transaction: (fn) => {
      const run = async () => {
        const db = store.sqlite;
        db.exec('BEGIN IMMEDIATE');
        try {
          // Under the write lock, so no move can commit between this read and the COMMIT: a
          // process that opened the file before `db copy` moved it (a running `mkt serve`)
          // writes nothing into the old copy after the move (store_moved; serve spools instead).
          // One read of a one-row table per unit of work (a batch of hits), not per hit.
          const mark = movedTo(db);
          if (mark) throw storeMovedError(store.path, mark);
          const result = await fn(unitOfWork());
          db.exec('COMMIT');
          return result;
        } catch (e) {
          if (db.inTransaction) db.exec('ROLLBACK');
          throw e;
        }
      };
      const p = chain.then(run);
      chain = p.catch(() => undefined);
      return p;
    },
    setBusyTimeout: (ms) => repo().setBusyTimeout(ms),
    movedAway: async () => {
      const mark = movedTo(store.sqlite);
      return mark ? storeMovedError(store.path, mark) : undefined;
    },
    refused: isSqliteError,
  };
}
