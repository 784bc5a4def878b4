/**
 * The tracking side of `mkt serve`: `/c/<token>` (click → 302), `/o/<token>.gif` (open pixel),
 * `/s/<code>` (SMS short link → 302). A forged or tampered token is 404, never a redirect, and a
 * genuine one only leads to the destination its campaign recorded (campaign_links).
 *
 * The answer never waits for the database: the destination comes from a cache (one read per link
 * per server, the only wait: a PostgreSQL store that is down then answers 503), and the hit is queued and written in batches through serve's durable queue
 * (committed, else spooled), after the answer, so a redirect happens even when recording fails.
 * Applying a batch classifies each hit (machine.ts) with the ledger's times at hand.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Campaign } from '../db/campaigns.js';
import type { EngagementHit, RecipientTimes, SweepMove } from '../db/engagement.js';
import type { EngagementWrites, TrackingStore } from '../db/tracking-store.js';
import { classify, SweepDetector, userAgentClass, type UserAgentClass } from './machine.js';
import { decodeSegment, HttpError, type Target } from './serve-http.js';
import type { TrackingTokens } from './tokens.js';
import { applyOverride, type TrackingSettings } from './tracking-config.js';

/** One click or open as spooled: short keys, since a busy day spools many. */
export interface EngagementRecordHit {
  c: number;
  r: number;
  l: number;
  k: 'click' | 'open';
  head: boolean;
  ua: UserAgentClass;
  at: number;
}

// a transparent 1×1 GIF
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

/** A Location header value: non-ASCII (IRIs from templates) percent-encoded, nothing else touched. */
const locationOf = (url: string) => url.replace(/[^\x21-\x7e]/gu, (c) => encodeURIComponent(c));

export interface TrackingRoutes {
  /**
   * Answers a tracking route (true) or says it is not one (false); a promise when the link was
   * not in the cache and had to be read (its rejection is the request's failure to answer).
   */
  handle(req: IncomingMessage, res: ServerResponse, target: Target): boolean | Promise<boolean>;
}

export function trackingRoutes(deps: { links: Pick<TrackingStore, 'link' | 'refused'>; tokens: TrackingTokens; now: () => number; hit: (h: EngagementRecordHit) => void }): TrackingRoutes {
  const links = new Map<string, string>();
  const lookup = async (key: string, campaignId: number, linkId: number): Promise<string | undefined> => {
    let row;
    try {
      row = await deps.links.link(campaignId, linkId);
    } catch (e) {
      // the database is unreachable: the link was never answered from here, so the reader may retry
      if (deps.links.refused(e)) throw new HttpError(503, 'temporarily unavailable, retry later', { 'retry-after': '5' });
      throw e;
    }
    // a link a send has not recorded yet may appear later: only known ones are kept
    if (row) links.set(key, row.url);
    return row?.url;
  };
  const record = (req: IncomingMessage, c: number, r: number, l: number, k: 'click' | 'open') => {
    const ua = req.headers['user-agent'];
    deps.hit({ c, r, l, k, head: req.method === 'HEAD', ua: userAgentClass(typeof ua === 'string' ? ua : undefined), at: deps.now() });
  };
  const answer = (req: IncomingMessage, res: ServerResponse, s: { campaignId: number; ledgerId: number; linkId: number }, url: string | undefined): true => {
    if (url === undefined) throw new HttpError(404, 'not found');
    res.writeHead(302, { location: locationOf(url), 'cache-control': 'no-store', 'referrer-policy': 'no-referrer', 'content-length': '0' });
    res.end();
    record(req, s.campaignId, s.ledgerId, s.linkId, 'click');
    return true;
  };
  // the destination from the cache (one read per link per server): a known link never waits for the database
  const redirect = (req: IncomingMessage, res: ServerResponse, s: { campaignId: number; ledgerId: number; linkId: number } | undefined): true | Promise<true> => {
    if (!s || s.linkId <= 0) throw new HttpError(404, 'not found');
    const key = `${s.campaignId}.${s.linkId}`;
    const cached = links.get(key);
    if (cached !== undefined) return answer(req, res, s, cached);
    return lookup(key, s.campaignId, s.linkId).then((url) => answer(req, res, s, url));
  };
  return {
    handle(req, res, target) {
      const m = /^\/(c|o|s)\/([^/]+)$/.exec(target.path);
      if (!m) return false;
      if (req.method !== 'GET' && req.method !== 'HEAD') throw new HttpError(405, 'GET or HEAD');
      const value = decodeSegment(m[2]!);
      if (m[1] === 'c') return redirect(req, res, deps.tokens.verify(value));
      if (m[1] === 's') return redirect(req, res, deps.tokens.verifyShort(value));
      const s = value.endsWith('.gif') ? deps.tokens.verify(value.slice(0, -4)) : undefined;
      if (!s) throw new HttpError(404, 'not found');
      res.writeHead(200, { 'content-type': 'image/gif', 'content-length': String(PIXEL.length), 'cache-control': 'no-store' });
      res.end(PIXEL);
      record(req, s.campaignId, s.ledgerId, 0, 'open');
      return true;
    },
  };
}

/** A click as the sweep memory keeps it: once recorded human, what it counted (to move it). */
interface Recent {
  move?: SweepMove;
}

/**
 * Applies a batch of hits: each classified human or machine, then recorded (hourly counts
 * always; the per-recipient event only in a campaign with `individual: true`). Returns a line
 * for the log. `workspace` is mkt.yaml's tracking, each campaign's own settings go over it.
 * A sweep is seen only at its last click: its earlier clicks, recorded human in this batch or
 * the one before, are moved to machine in the same transaction as the batch that completes it.
 * Run it inside the caller's transaction (serve's batch of records), one batch at a time.
 */
export function engagementApplier(workspace: TrackingSettings | undefined): (engagement: EngagementWrites, hits: EngagementRecordHit[]) => Promise<string> {
  const sweeps = new SweepDetector<Recent>();
  const settings = new Map<number, { tracking: TrackingSettings; links: number } | null>();
  const campaign = async (engagement: EngagementWrites, id: number) => {
    let s = settings.get(id);
    if (s === undefined) {
      const text = await engagement.campaignSettings(id);
      const own = text ? ((JSON.parse(text) as Campaign['settings']).tracking ?? undefined) : undefined;
      const base = workspace ?? { baseUrl: '', clicks: true, opens: false, individual: false, utm: {}, botClickWindowMs: 10_000 };
      s = text === undefined ? null : { tracking: applyOverride(base, own), links: await engagement.linkCount(id) };
      settings.set(id, s);
    }
    return s;
  };
  return async (engagement, hits) => {
    let batch: EngagementHit[] = [];
    let recent: Array<Recent | undefined> = [];
    let swept: Recent[] = [];
    // the human clicks of `batch`, not yet recorded: a sweep over one of them must record it before moving it
    const unrecorded = new Set<Recent>();
    let recorded = 0;
    let machine = 0;
    // records what is pending, then moves the completed sweeps' earlier clicks: before any later
    // hit of the batch, so that a later genuine click by the same recipient sees the fixed seen-set
    const flush = async () => {
      (await engagement.recordBatch(batch)).forEach((result, i) => {
        const r = recent[i];
        const b = batch[i]!;
        if (r) r.move = { campaignId: b.campaignId, ledgerId: b.ledgerId, linkId: b.linkId, at: b.at, result };
      });
      unrecorded.clear();
      const moves = swept.flatMap((r) => (r.move ? [r.move] : []));
      for (const r of swept) delete r.move;
      await engagement.moveToMachine(moves);
      recorded += batch.length;
      machine += batch.filter((b) => b.machine).length + moves.length;
      batch = [];
      recent = [];
      swept = [];
    };
    // the batch's recipients read at once, per campaign: one statement, not one per hit
    const recipients = new Map<string, RecipientTimes>();
    const asked = new Map<number, Set<number>>();
    for (const h of hits) (asked.get(h.c) ?? asked.set(h.c, new Set()).get(h.c)!).add(h.r);
    for (const [c, ids] of asked) for (const [id, who] of await engagement.recipients(c, [...ids])) recipients.set(`${c}.${id}`, who);
    for (const h of hits) {
      const c = await campaign(engagement, h.c);
      if (!c) continue; // the campaign was deleted since the message went out
      const key = `${h.c}.${h.r}`;
      const who = recipients.get(key);
      const delivered = who ? (who.delivery_at ?? who.sent_at ?? undefined) : undefined;
      if (h.k === 'click' && h.l > c.links) c.links = await engagement.linkCount(h.c);
      const mine: Recent | undefined = h.k === 'click' ? {} : undefined;
      const sweep = mine !== undefined && sweeps.click(key, h.l, h.at, c.links, mine);
      // only the earlier clicks that were recorded human move: a sweep of machine clicks (a scanner
      // following every link) changes no count, so it does not cut the batch into a write per sweep
      if (sweep) swept.push(...sweep.earlier.filter((r) => r.move || unrecorded.has(r)));
      const verdict = classify({ kind: h.k, head: h.head, ua: h.ua, at: h.at, deliveredAt: delivered, windowMs: c.tracking.botClickWindowMs, sweep: sweep && sweep.sweep });
      recent.push(verdict.machine ? undefined : mine);
      if (mine && !verdict.machine) unrecorded.add(mine);
      batch.push({
        campaignId: h.c,
        ledgerId: h.r,
        customerId: who?.customer_id ?? 0,
        kind: h.k,
        linkId: h.l,
        machine: verdict.machine,
        reason: verdict.reason ?? null,
        userAgentClass: h.ua,
        at: h.at,
        source: 'serve',
        // a ledger row that is gone (forgotten) has nobody to attach an event to
        individual: c.tracking.individual && who !== undefined,
      });
      if (swept.length) await flush();
    }
    await flush();
    return `tracking: ${recorded} hit(s) recorded, ${machine} machine`;
  };
}
