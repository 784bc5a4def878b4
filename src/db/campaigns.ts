/**
 * Campaign rows: create, read, state changes and the send lease. Rows come out as a typed
 * `Campaign`: channel and state are enum columns, and the JSON settings, the stored plan and
 * the pause reason are decoded here once, so no caller parses or splits a column again.
 * Not a hot path, so the drizzle builder is used except where a compare-and-swap needs exact SQL.
 */
import type Database from 'better-sqlite3';
import { and, asc, eq, inArray, isNotNull, isNull, lte, or, type Column, type SQL } from 'drizzle-orm';
import type { Channel } from '../channels.js';
import type { Store } from './open.js';
import type { CampaignState } from './campaign-states.js';
import { campaigns } from './schema.js';
import { movedTo, storeMovedError } from './store-moved.js';

export { CAMPAIGN_STATES, type CampaignState } from './campaign-states.js';
type CampaignRecord = typeof campaigns.$inferSelect;

/** Per-campaign options kept as JSON (`settings`). */
export interface CampaignSettings {
  distribution?: 'round-robin' | 'sticky';
  /** the campaign file's `concurrency:`; `send --concurrency` wins */
  concurrency?: number;
  /** Each recipient due at this local time (HH:MM). */
  send_at_local?: string;
  /** A recurring campaign: each `send --due` run, once `every` has passed, adds and sends newcomers. */
  recurring?: { every: string };
  /** An A/B test's variants: a subject and/or template each, weighted. */
  variants?: Record<string, { subject?: string; template?: string; weight?: number }>;
  test?: { fraction: string; metric: 'clicks' | 'opens' | 'delivered'; wait: string };
  /** the campaign file's `tracking:` (over mkt.yaml's; src/compliance/tracking-config.ts checks it) */
  tracking?: { clicks?: boolean; opens?: boolean; individual?: boolean; utm?: false | Record<string, string | undefined>; bot_click_window?: number };
  [key: string]: unknown;
}

/** What the last prepare planned (stored as JSON in `plan`; `campaign show` prints it). */
export interface CampaignPlan {
  campaign: string;
  matched: number;
  excluded: Record<string, number>;
  recipients: number;
  /** Recipients added by this prepare (all of them, or the newcomers with --refresh). */
  added: number;
  senders: Record<string, number>;
  estimate: { messages: number; sms_segments?: number; duration_s: number; rate_per_s: number | null };
  plan_hash: string;
  prepared_at: string;
  /** Pre-flight's render of every recipient, when some failed: `send` refuses unless allowed. */
  render_failures?: RenderFailures;
}

/** Recipients whose message does not render, grouped by cause (campaigns/render-failures.ts). */
export interface RenderFailures {
  total: number;
  groups: RenderFailureGroup[];
  /** Failures whose cause was not kept (beyond the number of causes kept). */
  other: number;
}

export interface RenderFailureGroup {
  /** What went wrong, without the position: `missing variable "lifetime_value"`. */
  cause: string;
  /** Where, when the template position is known: `templates/email/bx.mjml:5:50`. */
  at?: string;
  code: string;
  count: number;
  /** The first few addresses it hit. */
  examples: string[];
}

/**
 * Why a campaign is paused (or was cancelled). `code` is machine-readable (`interrupted`,
 * `daily_cap`, a provider's error code …) and decides whether `send --due` may resume it;
 * a reason written without one (`cancelled by the operator`) has code null.
 */
export interface PauseReason {
  code: string | null;
  message: string;
}

export type Campaign = Omit<CampaignRecord, 'settings' | 'plan' | 'pauseReason'> & {
  settings: CampaignSettings;
  plan: CampaignPlan | null;
  pause: PauseReason | null;
};

/** The fields a state change may set. */
export type CampaignPatch = Partial<Pick<Campaign, 'state' | 'pause' | 'plan' | 'planHash' | 'preparedAt' | 'startedAt' | 'completedAt' | 'archivedAt'>>;

/** What `campaign edit` / `campaign apply` may set: the definition, never the run's state. */
export type CampaignDefinitionPatch = Partial<Pick<Campaign, 'channel' | 'segment' | 'provider' | 'template' | 'scheduleAt' | 'throttle' | 'settings'>>;

export interface NewCampaign {
  name: string;
  channel: Channel;
  segment: string;
  provider: string;
  template: string;
  scheduleAt?: number | null;
  throttle?: string | null;
  settings?: CampaignSettings;
}

/** As stored and shown (`pause_reason` in --json): `code: message`, or the message alone. */
export function pauseText(p: PauseReason | null): string | null {
  if (!p) return null;
  return p.code === null ? p.message : `${p.code}: ${p.message}`;
}

/**
 * The inverse of pauseText: a leading token without spaces, up to the first `: `, is the code
 * (codes may hold a colon themselves: `fatal:AccountSuspended`).
 */
export function parsePause(text: string | null): PauseReason | null {
  if (text === null) return null;
  const m = /^(\S+?): ([\s\S]*)$/.exec(text);
  return m ? { code: m[1]!, message: m[2]! } : { code: null, message: text };
}

function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/** A stored row as a typed Campaign (both stores keep the same columns). */
export function decodeCampaign(r: CampaignRecord): Campaign {
  const { settings, plan, pauseReason, ...rest } = r;
  const s = parseJson<unknown>(settings, {});
  return {
    ...rest,
    settings: s !== null && typeof s === 'object' && !Array.isArray(s) ? (s as CampaignSettings) : {},
    plan: parseJson<CampaignPlan | null>(plan, null),
    pause: parsePause(pauseReason),
  };
}

/** A patch as the columns it sets (a state change, or a definition change: `campaign edit` / `apply`). */
export function encodeCampaignPatch(p: CampaignPatch & CampaignDefinitionPatch): Partial<CampaignRecord> {
  const { pause, plan, settings, ...rest } = p;
  return {
    ...rest,
    ...(settings !== undefined ? { settings: JSON.stringify(settings) } : {}),
    ...(pause !== undefined ? { pauseReason: pauseText(pause) } : {}),
    ...(plan !== undefined ? { plan: plan === null ? null : JSON.stringify(plan) } : {}),
  };
}

/** The columns a new (draft) campaign is inserted with. */
export function newCampaignValues(c: NewCampaign, now: number) {
  return {
    name: c.name,
    channel: c.channel,
    segment: c.segment,
    provider: c.provider,
    template: c.template,
    scheduleAt: c.scheduleAt ?? null,
    throttle: c.throttle ?? null,
    settings: JSON.stringify(c.settings ?? {}),
    state: 'draft' as const,
    createdAt: now,
    updatedAt: now,
  };
}

export function insertCampaign(store: Store, c: NewCampaign, now: number): Campaign {
  return decodeCampaign(store.db.insert(campaigns).values(newCampaignValues(c, now)).returning().get());
}

export function findCampaign(store: Store, name: string): Campaign | undefined {
  const row = store.db.select().from(campaigns).where(eq(campaigns.name, name)).get();
  return row ? decodeCampaign(row) : undefined;
}

/** Every campaign in id order; without `archived`, those `campaign archive` hid are left out. */
export function allCampaigns(store: Store, opts: ListOptions = {}): Campaign[] {
  const rows = store.db.select().from(campaigns);
  return (opts.archived === false ? rows.where(isNull(campaigns.archivedAt)) : rows).orderBy(asc(campaigns.id)).all().map(decodeCampaign);
}

/** `list` options: `archived: false` leaves archived campaigns out (default: every campaign). */
export interface ListOptions {
  archived?: boolean;
}

/**
 * Candidates for `send --due`: campaigns whose schedule has passed, and paused campaigns
 * (scheduled or not) — the caller decides which pauses may be resumed unattended.
 */
export function dueCampaigns(store: Store, now: number): Campaign[] {
  return store.db.select().from(campaigns).where(dueCondition(campaigns, now)).orderBy(asc(campaigns.scheduleAt), asc(campaigns.id)).all().map(decodeCampaign);
}

/** The `send --due` candidate condition over either store's campaigns table (same columns, same builder). */
export function dueCondition(c: DueColumns, now: number): SQL | undefined {
  return or(
    and(isNotNull(c.scheduleAt), lte(c.scheduleAt, now), inArray(c.state, ['draft', 'prepared', 'sending', 'paused'])),
    and(isNull(c.scheduleAt), eq(c.state, 'paused')),
  );
}

/** The two columns dueCondition reads, from a table of any dialect. */
export interface DueColumns {
  scheduleAt: Column;
  state: Column;
}

/** Changes a campaign's definition (`campaign edit`, `campaign apply`); the caller decided the state allows it. */
export function redefineCampaign(store: Store, id: number, patch: CampaignDefinitionPatch, now: number): void {
  store.db
    .update(campaigns)
    .set({ ...encodeCampaignPatch(patch), updatedAt: now })
    .where(eq(campaigns.id, id))
    .run();
}

/**
 * Deletes a campaign that never got a send list (`campaign delete`: drafts only). The state is
 * part of the WHERE, so a campaign prepared meanwhile is not deleted; false when nothing was.
 */
export function deleteDraftCampaign(store: Store, id: number): boolean {
  return store.db.delete(campaigns).where(and(eq(campaigns.id, id), eq(campaigns.state, 'draft'))).run().changes === 1;
}

/** Runs `body` in one IMMEDIATE transaction (`campaign apply`: every line of the plan or none). */
export function inCampaignTransaction<T>(store: Store, body: () => T): T {
  return store.sqlite.transaction(body).immediate();
}

export function updateCampaign(store: Store, id: number, patch: CampaignPatch, now: number): void {
  store.db
    .update(campaigns)
    .set({ ...encodeCampaignPatch(patch), updatedAt: now })
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
    // under the write lock a copy up takes to mark the file moved: a sender that opened the file
    // before the move committed cannot take a lease after it (src/db/store-moved.ts)
    const moved = movedTo(store.sqlite);
    if (moved) throw storeMovedError(store.path, moved);
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

/** The live holder of the campaign's send lease (`campaign status`), if any. */
export function leaseHolder(store: Store, campaignId: number, now: number): { owner: string; expiresAt: number } | undefined {
  const row = store.sqlite.prepare('SELECT lease_owner AS owner, lease_expires_at AS exp FROM campaigns WHERE id = ?').get(campaignId) as { owner: string | null; exp: number | null } | undefined;
  return row?.owner && row.exp !== null && row.exp > now ? { owner: row.owner, expiresAt: row.exp } : undefined;
}

/**
 * The campaigns whose send lease is held by a live sender (`db copy` refuses to copy from or
 * replace such a file): unexpired, and not left by a process of this host that is gone.
 */
export function liveLeases(sqlite: Database.Database, now: number, isDead: (owner: string) => boolean): Array<{ campaign: string; owner: string }> {
  const rows = sqlite.prepare('SELECT name AS campaign, lease_owner AS owner FROM campaigns WHERE lease_owner IS NOT NULL AND lease_expires_at > ? ORDER BY id').all(now) as Array<{ campaign: string; owner: string }>;
  return rows.filter((r) => !isDead(r.owner));
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
