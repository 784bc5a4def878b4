/**
 * Campaign rows on PostgreSQL: the twin of ../campaigns.ts, decoded and encoded by the same
 * functions (the columns are the same), so a Campaign reads the same from either store.
 */
import { asc, eq, sql } from 'drizzle-orm';
import { decodeCampaign, dueCondition, encodeCampaignPatch, newCampaignValues } from '../campaigns.js';
import type { CampaignStore } from '../repositories.js';
import type { PgDb } from './open.js';
import { campaigns } from './schema.js';

// NULLS FIRST: SQLite's order, so unscheduled paused campaigns come first on both stores
export function pgCampaignStore(db: PgDb): CampaignStore {
  return {
    create: async (c, now) => decodeCampaign((await db.insert(campaigns).values(newCampaignValues(c, now)).returning())[0]!),
    get: async (name) => {
      const [row] = await db.select().from(campaigns).where(eq(campaigns.name, name));
      return row ? decodeCampaign(row) : undefined;
    },
    list: async () => (await db.select().from(campaigns).orderBy(asc(campaigns.id))).map(decodeCampaign),
    due: async (now) => (await db.select().from(campaigns).where(dueCondition(campaigns, now)).orderBy(sql`${campaigns.scheduleAt} ASC NULLS FIRST`, asc(campaigns.id))).map(decodeCampaign),
    update: async (id, patch, now) => {
      await db
        .update(campaigns)
        .set({ ...encodeCampaignPatch(patch), updatedAt: now })
        .where(eq(campaigns.id, id));
    },
  };
}
