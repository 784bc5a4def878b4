/**
 * The write side of engagement (tracked clicks and opens, delivery and read reports): the links a
 * campaign sent, the hourly counts every privacy mode keeps, the per-recipient events only
 * `tracking.individual: true` keeps, and the seen-set behind unique counts.
 *
 * Unique counts without a recipient id: "has this recipient clicked before?" is answered by the
 * table engagement_seen, which holds HMAC-SHA256(campaign key, ledger id) truncated to 16 bytes
 * per (campaign, kind, link, machine). The campaign key is random (engagement_keys), so the
 * digest is not a customer id, an address or a time, and it cannot be joined with the hourly
 * counts. It is pseudonymous, not anonymous: whoever holds the database can recompute the digest
 * of a known ledger row while the key exists; `dropSeenKey` removes that possibility for good.
 * Statements are prepared once: serve records each hit through here.
 */
import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Store } from './open.js';
import { digestOf, hourOf, seenAmong, moveToMachinePlan, recordPlan, runPlan, type EngagementHit, type EngagementOp, type EngagementResult, type SweepMove } from './engagement-plan.js';

// the hit's vocabulary lives with the plans both stores run
export { ENGAGEMENT_KINDS, ENGAGEMENT_SOURCES, type EngagementHit, type EngagementKind, type EngagementResult, type EngagementSource, type SweepMove } from './engagement-plan.js';

export const LINK_KINDS = ['link', 'sms', 'button'] as const;
export type LinkKind = (typeof LINK_KINDS)[number];

export interface CampaignLinkRow {
  link_id: number;
  url: string;
  kind: LinkKind;
}

/** What the classifier needs to know about a recipient: when it was sent and delivered. */
export interface RecipientTimes {
  customer_id: number;
  sent_at: number | null;
  delivery_at: number | null;
}

export { hourOf };

export class EngagementRepository {
  private readonly keys = new Map<number, Buffer>();
  private readonly getKey: Database.Statement;
  private readonly putKey: Database.Statement;
  private readonly delKey: Database.Statement;
  private readonly seen: Database.Statement;
  private readonly hourly: Database.Statement;
  private readonly event: Database.Statement;
  private readonly linkById: Database.Statement;
  private readonly linksOf: Database.Statement;
  private readonly linkCountOf: Database.Statement;
  private readonly linkInsert: Database.Statement;
  private readonly recipientTimes: Database.Statement;
  private readonly settingsOf: Database.Statement;
  private readonly unseen: Database.Statement;
  private readonly dropEmpty: Database.Statement;
  private readonly remark: Database.Statement;

  constructor(private readonly sqlite: Database.Database) {
    this.getKey = sqlite.prepare('SELECT key FROM engagement_keys WHERE campaign_id = ?');
    this.putKey = sqlite.prepare('INSERT INTO engagement_keys (campaign_id, key, created_at) VALUES (?, ?, ?) ON CONFLICT (campaign_id) DO NOTHING');
    this.delKey = sqlite.prepare('DELETE FROM engagement_keys WHERE campaign_id = ?');
    // a new row = the first time this recipient did this: the insert itself is the test
    this.seen = sqlite.prepare('INSERT INTO engagement_seen (campaign_id, kind, link_id, machine, digest) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING');
    this.hourly = sqlite.prepare(`
      INSERT INTO engagement_hourly (campaign_id, link_id, hour, kind, machine, count, unique_count)
      VALUES (@campaignId, @linkId, @hour, @kind, @machine, @count, @unique)
      ON CONFLICT (campaign_id, link_id, hour, kind, machine)
      DO UPDATE SET count = count + excluded.count, unique_count = unique_count + excluded.unique_count`);
    this.event = sqlite.prepare(`
      INSERT INTO engagement_events (campaign_id, ledger_id, customer_id, kind, link_id, machine, reason, user_agent_class, at, source)
      VALUES (@campaignId, @ledgerId, @customerId, @kind, @linkId, @machine, @reason, @userAgentClass, @at, @source)`);
    this.linkById = sqlite.prepare('SELECT link_id, url, kind FROM campaign_links WHERE campaign_id = ? AND link_id = ?');
    this.linksOf = sqlite.prepare('SELECT link_id, url, kind FROM campaign_links WHERE campaign_id = ? ORDER BY link_id');
    this.linkCountOf = sqlite.prepare('SELECT count(*) AS n FROM campaign_links WHERE campaign_id = ?');
    // link ids are 1..n in the order destinations were first seen; a URL already known keeps its id
    this.linkInsert = sqlite.prepare(`
      INSERT INTO campaign_links (campaign_id, link_id, url, kind, created_at)
      SELECT @campaignId, coalesce(max(link_id), 0) + 1, @url, @kind, @now FROM campaign_links WHERE campaign_id = @campaignId
      ON CONFLICT (campaign_id, url) DO NOTHING`);
    this.unseen = sqlite.prepare('DELETE FROM engagement_seen WHERE campaign_id = ? AND kind = ? AND link_id = ? AND machine = ? AND digest = ?');
    this.dropEmpty = sqlite.prepare('DELETE FROM engagement_hourly WHERE campaign_id = ? AND link_id = ? AND hour = ? AND kind = ? AND machine = ? AND count = 0 AND unique_count = 0');
    this.remark = sqlite.prepare("UPDATE engagement_events SET machine = 1, reason = 'all_links' WHERE id = ?");
    this.settingsOf = sqlite.prepare('SELECT settings FROM campaigns WHERE id = ?');
    this.recipientTimes = sqlite.prepare('SELECT customer_id, sent_at, delivery_at FROM campaign_recipients WHERE id = ? AND campaign_id = ?');
  }

  /** The link ids of these destinations in this campaign, adding the new ones (one transaction). */
  registerLinks(campaignId: number, links: Array<{ url: string; kind: LinkKind }>, now: number): Map<string, number> {
    return this.sqlite.transaction(() => {
      const ids = new Map<string, number>();
      for (const l of links) {
        if (ids.has(l.url)) continue;
        this.linkInsert.run({ campaignId, url: l.url, kind: l.kind, now });
        const row = this.sqlite.prepare('SELECT link_id FROM campaign_links WHERE campaign_id = ? AND url = ?').get(campaignId, l.url) as { link_id: number };
        ids.set(l.url, row.link_id);
      }
      return ids;
    })();
  }

  /** The destination of one link of a campaign: the only URLs a tracked link may lead to. */
  link(campaignId: number, linkId: number): CampaignLinkRow | undefined {
    return this.linkById.get(campaignId, linkId) as CampaignLinkRow | undefined;
  }

  links(campaignId: number): CampaignLinkRow[] {
    return this.linksOf.all(campaignId) as CampaignLinkRow[];
  }

  linkCount(campaignId: number): number {
    return (this.linkCountOf.get(campaignId) as { n: number }).n;
  }

  /** The ledger row's customer and times, if the row belongs to that campaign. */
  recipient(campaignId: number, ledgerId: number): RecipientTimes | undefined {
    return this.recipientTimes.get(ledgerId, campaignId) as RecipientTimes | undefined;
  }

  /** The campaign's settings JSON (its own `tracking:` is in there), undefined for no such campaign. */
  campaignSettings(campaignId: number): string | undefined {
    return (this.settingsOf.get(campaignId) as { settings: string } | undefined)?.settings;
  }

  /** Runs `fn` in one transaction (a savepoint inside one). */
  transaction<T>(fn: () => T): T {
    return this.sqlite.transaction(fn)();
  }

  /**
   * Records one hit: the hourly counts always, the seen-set for uniqueness, the per-recipient
   * event only when `individual`. A click also adds to the campaign-wide (link 0) click row, and
   * a human click counts as a human open for unique opens (a reader who clicked has opened, even
   * with images off). Returns whether it was this recipient's first.
   */
  recordEngagement(h: EngagementHit): EngagementResult {
    return this.recordBatch([h])[0]!;
  }

  /**
   * recordEngagement for many hits in one transaction, with the same results as one call per
   * hit in order; `mkt serve` writes its batches here. Within the batch a recipient's digest and
   * "seen" answers are remembered and the hourly increments summed, so a burst (a scanner
   * following every link, a reader clicking twice) costs one statement per row it changes.
   */
  recordBatch(hits: EngagementHit[]): EngagementResult[] {
    const write = () => runPlan(recordPlan(hits), this.exec);
    // inside a caller's transaction (serve applies its records in one) that one covers it
    return this.sqlite.inTransaction ? write() : this.sqlite.transaction(write)();
  }

  /** See moveToMachinePlan (engagement-plan.ts). Call inside the batch's transaction. */
  moveToMachine(moves: SweepMove[]): void {
    runPlan(moveToMachinePlan(moves), this.exec);
  }

  /** One operation of a plan (engagement-plan.ts), on this connection. */
  private readonly exec = (o: EngagementOp): unknown => {
    switch (o.op) {
      case 'key':
        return this.key(o.campaignId, o.at);
      case 'seen':
        return this.seen.run(o.row.campaignId, o.row.kind, o.row.linkId, o.row.machine, o.row.digest).changes === 1;
      case 'unseen':
        return void this.unseen.run(o.row.campaignId, o.row.kind, o.row.linkId, o.row.machine, o.row.digest);
      case 'event':
        return Number(this.event.run(o.row).lastInsertRowid);
      case 'hourly':
        this.hourly.run(o.row);
        if (o.dropIfEmpty) this.dropEmpty.run(o.row.campaignId, o.row.linkId, o.row.hour, o.row.kind, o.row.machine);
        return undefined;
      case 'remark':
        return void this.remark.run(o.eventId);
    }
  };

  /** The seen-set digest of a ledger row, if the campaign has a key (`customers forget` deletes a person's seen rows by it). */
  digest(campaignId: number, ledgerId: number): Buffer | undefined {
    const key = this.keys.get(campaignId) ?? (this.getKey.get(campaignId) as { key: Buffer } | undefined)?.key;
    return key && this.hash(key, ledgerId);
  }

  /**
   * Which of these ledger rows are in the campaign-wide human seen-set of `kind` (link 0): each
   * row's digest is recomputed with the campaign key and looked up, so unique human clicks and
   * opens per group of rows (an A/B variant) are known in the aggregate mode too, where no
   * per-recipient event exists. A human click is in the open set as well (recordBatch). Without
   * a key (nothing recorded, or the key dropped) no row is in it.
   */
  seenHumans(campaignId: number, kind: 'click' | 'open', ledgerIds: number[]): Set<number> {
    const key = this.keys.get(campaignId) ?? (this.getKey.get(campaignId) as { key: Buffer } | undefined)?.key;
    if (!key) return new Set();
    const rows = this.sqlite.prepare('SELECT digest FROM engagement_seen WHERE campaign_id = ? AND kind = ? AND link_id = 0 AND machine = 0').all(campaignId, kind) as Array<{ digest: Buffer }>;
    return seenAmong(key, rows.map((r) => r.digest), ledgerIds);
  }

  private hash(key: Buffer, ledgerId: number): Buffer {
    return digestOf(key, ledgerId);
  }

  /** Forgets a campaign's seen-set key: its seen rows can then never be linked to anyone again. */
  dropSeenKey(campaignId: number): void {
    this.delKey.run(campaignId);
    this.keys.delete(campaignId);
  }

  private key(campaignId: number, now: number): Buffer {
    let key = this.keys.get(campaignId);
    if (!key) {
      this.putKey.run(campaignId, randomBytes(32), now);
      key = (this.getKey.get(campaignId) as { key: Buffer }).key;
      this.keys.set(campaignId, key);
    }
    return key;
  }
}

export const engagementRepository = (store: Store): EngagementRepository => new EngagementRepository(store.sqlite);
