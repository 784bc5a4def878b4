/**
 * What a `mkt serve` request asks the store to do, as a plain JSON record: it can be applied at
 * once or spooled and applied later (serve-spool.ts) with the same outcome. A record carries the
 * time of the request, so a late replay still dates the suppression when the recipient asked.
 */
import type { Channel } from '../channels.js';
import { normaliseAddress } from '../customers/address.js';
import type { TrackingStore, TrackingTx } from '../db/tracking-store.js';
import { applyFeedback, type FeedbackEvent } from './feedback/index.js';
import { engagementApplier, type EngagementRecordHit } from './serve-track.js';
import type { TrackingSettings } from './tracking-config.js';

export type ServeRecord =
  | { t: 'unsubscribe'; at: number; campaignId: number; customerId: number; channel: Channel; ref: string }
  | { t: 'feedback'; at: number; what: string; events: FeedbackEvent[] }
  // `tracking`: mkt.yaml's, as the server read it, so any process replaying the spool applies the same rules
  | { t: 'engage'; at: number; hits: EngagementRecordHit[]; tracking?: TrackingSettings };

/**
 * Applies records in order in one transaction; logs what each did once it is committed.
 * `individual`: mkt.yaml's tracking.individual, for provider-reported engagement of campaigns without their own.
 */
export function recordApplier(store: TrackingStore, log: (line: string) => void, individual = false): (records: ServeRecord[]) => Promise<void> {
  // one applier (with its memory of recent clicks) per tracking configuration seen
  const appliers = new Map<string, ReturnType<typeof engagementApplier>>();
  const engage = (tx: TrackingTx, r: Extract<ServeRecord, { t: 'engage' }>) => {
    const key = JSON.stringify(r.tracking ?? null);
    let apply = appliers.get(key);
    if (!apply) appliers.set(key, (apply = engagementApplier(r.tracking)));
    return apply(tx.engagement, r.hits);
  };
  const applyOne = async (tx: TrackingTx, r: ServeRecord): Promise<string | undefined> => {
    // hits are not logged one by one (there are many): the batch says how many were machine
    if (r.t === 'engage') return engage(tx, r);
    if (r.t === 'feedback') {
      const s = await applyFeedback(tx, r.events, r.at, { individual });
      const counted = (label: string, m: Record<string, number>) => (Object.keys(m).length ? `, ${label} ${Object.entries(m).map(([k, v]) => `${k} ${v}`).join(' ')}` : '');
      return `${r.what}: ${s.events} event(s), ${s.matched} matched, ${s.suppressed} suppressed, ${s.lifted} lifted${counted('engagement', s.engagement)}${counted('ignored', s.ignored)}`;
    }
    const found = await tx.feedback.unsubscribeAddress(r);
    if (!found) return `unsubscribe ${r.ref}: customer ${r.customerId} has no ${r.channel} address`;
    // a ledger row frozen before the canonical rule may hold another spelling: suppress the canonical one
    const address = normaliseAddress(r.channel, found) ?? found;
    const added = await tx.feedback.suppress({ channel: r.channel, address, reason: 'unsubscribed', source: `unsubscribe:c${r.campaignId}`, note: null }, r.at);
    return added ? `unsubscribed customer ${r.customerId} from ${r.channel} (campaign ${r.campaignId}, token ${r.ref})` : undefined;
  };
  return async (records) => {
    // one durable commit per batch, tracked hits included: a committed hit survives a power loss
    const lines = await store.transaction(async (tx) => {
      const out: Array<string | undefined> = [];
      for (const r of records) out.push(await applyOne(tx, r));
      return out;
    });
    for (const line of lines) if (line) log(line);
  };
}
