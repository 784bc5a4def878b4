/**
 * Campaign rows on PostgreSQL: the twin of ../campaigns.ts, decoded and encoded by the same
 * functions (the columns are the same), so a Campaign reads the same from either store.
 */
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { decodeCampaign, dueCondition, encodeCampaignPatch, newCampaignValues } from '../campaigns.js';
import type { CampaignStore } from '../repositories.js';
import type { PgDb } from './open.js';
import * as schema from './schema.js';
import { campaigns } from './schema.js';
import { inTransaction } from './transaction.js';

// NULLS FIRST: SQLite's order, so unscheduled paused campaigns come first on both stores
export function pgCampaignStore(db: PgDb): CampaignStore {
  return {
    create: async (c, now) => decodeCampaign((await db.insert(campaigns).values(newCampaignValues(c, now)).returning())[0]!),
    get: async (name) => {
      const [row] = await db.select().from(campaigns).where(eq(campaigns.name, name));
      return row ? decodeCampaign(row) : undefined;
    },
    list: async (opts = {}) => (await db.select().from(campaigns).where(opts.archived === false ? isNull(campaigns.archivedAt) : undefined).orderBy(asc(campaigns.id))).map(decodeCampaign),
    due: async (now) => (await db.select().from(campaigns).where(dueCondition(campaigns, now)).orderBy(sql`${campaigns.scheduleAt} ASC NULLS FIRST`, asc(campaigns.id))).map(decodeCampaign),
    update: async (id, patch, now) => {
      await db
        .update(campaigns)
        .set({ ...encodeCampaignPatch(patch), updatedAt: now })
        .where(eq(campaigns.id, id));
    },
    redefine: async (id, patch, now) => {
      await db
        .update(campaigns)
        .set({ ...encodeCampaignPatch(patch), updatedAt: now })
        .where(eq(campaigns.id, id));
    },
    deleteDraft: async (id) => (await db.delete(campaigns).where(and(eq(campaigns.id, id), eq(campaigns.state, 'draft'))).returning({ id: campaigns.id })).length === 1,
  };
}

/**
 * The twin of SQLite's inCampaignTransaction (an IMMEDIATE transaction): `work` runs in one
 * transaction over campaign rows that no other writer changes meanwhile (the table locked
 * EXCLUSIVE: reads go on, a send that starts waits), so a plan made inside sees a send that
 * started before it; an error rolls everything back.
 */
export async function inPgCampaignTransaction<T>(pool: pg.Pool, work: (campaigns: CampaignStore) => Promise<T>): Promise<T> {
  return inTransaction(pool, async (client) => {
    await client.query('LOCK TABLE campaigns IN EXCLUSIVE MODE');
    return work(pgCampaignStore(drizzle(client, { schema })));
  });
}
