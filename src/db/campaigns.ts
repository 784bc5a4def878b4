/**
 * Campaign rows: create, read, state changes and the send lease. Not a hot path, so the
 * drizzle builder is used except where a compare-and-swap needs exact SQL.
 */
import { and, asc, eq, inArray, isNotNull, isNull, lte, or } from 'drizzle-orm';
import type { Channel } from '../channels.js';
import type { Store } from './open.js';
import { campaigns } from './schema.js';

export type CampaignState = 'draft' | 'prepared' | 'sending' | 'paused' | 'completed' | 'cancelled';
export type CampaignRow = typeof campaigns.$inferSelect;

export interface NewCampaign {
  name: string;
  channel: Channel;
  segment: string;
  provider: string;
  template: string;
  scheduleAt?: number | null;
  throttle?: string | null;
  settings?: Record<string, unknown>;
}

export function insertCampaign(store: Store, c: NewCampaign, now: number): CampaignRow {
  return store.db
    .insert(campaigns)
    .values({
      name: c.name,
      channel: c.channel,
      segment: c.segment,
      provider: c.provider,
      template: c.template,
      scheduleAt: c.scheduleAt ?? null,
      throttle: c.throttle ?? null,
      settings: JSON.stringify(c.settings ?? {}),
      state: 'draft',
      createdAt: now,
      updatedAt: now,
    })
    .returning()
    .get();
}

export function findCampaign(store: Store, name: string): CampaignRow | undefined {
  return store.db.select().from(campaigns).where(eq(campaigns.name, name)).get();
}

export function allCampaigns(store: Store): CampaignRow[] {
  return store.db.select().from(campaigns).orderBy(asc(campaigns.id)).all();
}

/**
 * Candidates for `send --due`: campaigns whose schedule has passed, and paused campaigns
 * (scheduled or not) — the caller decides which pauses may be resumed unattended.
 */
export function dueCampaigns(store: Store, now: number): CampaignRow[] {
  return store.db
    .select()
    .from(campaigns)
    .where(
      or(
        and(isNotNull(campaigns.scheduleAt), lte(campaigns.scheduleAt, now), inArray(campaigns.state, ['draft', 'prepared', 'sending', 'paused'])),
        and(isNull(campaigns.scheduleAt), eq(campaigns.state, 'paused')),
      ),
    )
    .orderBy(asc(campaigns.scheduleAt), asc(campaigns.id))
    .all();
}

export function updateCampaign(store: Store, id: number, patch: Partial<Omit<CampaignRow, 'id' | 'createdAt'>>, now: number): void {
  store.db
    .update(campaigns)
    .set({ ...patch, updatedAt: now })
    .where(eq(campaigns.id, id))
    .run();
}

export interface LeaseHolder {
  owner: string;
  expiresAt: number;
}

/**
 * Takes the campaign's send lease if it is free, expired, or held by a process on this host
 * that no longer exists (a kill -9 leaves its lease behind). Compare-and-swap on the old owner,
 * so two processes racing for a stale lease cannot both win.
 */
export function acquireLease(
  store: Store,
  campaignId: number,
  owner: string,
  now: number,
  ttlMs: number,
  isDead: (owner: string) => boolean,
): { ok: true } | { ok: false; holder: LeaseHolder } {
  return store.sqlite.transaction(() => {
    const cur = store.sqlite.prepare('SELECT lease_owner AS owner, lease_expires_at AS exp FROM campaigns WHERE id = ?').get(campaignId) as {
      owner: string | null;
      exp: number | null;
    };
    const free = cur.owner === null || cur.owner === owner || (cur.exp ?? 0) < now || isDead(cur.owner);
    if (!free) return { ok: false as const, holder: { owner: cur.owner!, expiresAt: cur.exp ?? 0 } };
    const changes = store.sqlite
      .prepare('UPDATE campaigns SET lease_owner = ?, lease_expires_at = ? WHERE id = ? AND lease_owner IS ?')
      .run(owner, now + ttlMs, campaignId, cur.owner).changes;
    return changes === 1 ? { ok: true as const } : { ok: false as const, holder: { owner: cur.owner ?? '?', expiresAt: cur.exp ?? 0 } };
  }).immediate();
}

/** Extends the lease; false when it was lost (taken over after it expired). */
export function renewLease(store: Store, campaignId: number, owner: string, now: number, ttlMs: number): boolean {
  return store.sqlite.prepare('UPDATE campaigns SET lease_expires_at = ? WHERE id = ? AND lease_owner = ?').run(now + ttlMs, campaignId, owner).changes === 1;
}

export function releaseLease(store: Store, campaignId: number, owner: string): void {
  store.sqlite.prepare('UPDATE campaigns SET lease_owner = NULL, lease_expires_at = NULL WHERE id = ? AND lease_owner = ?').run(campaignId, owner);
}

export function campaignStateOf(store: Store, campaignId: number): CampaignState | undefined {
  const r = store.sqlite.prepare('SELECT state FROM campaigns WHERE id = ?').get(campaignId) as { state: CampaignState } | undefined;
  return r?.state;
}
