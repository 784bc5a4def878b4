import { createHash } from 'node:crypto';
import { TokenBucket } from './token-bucket.js';

export interface PoolSenderConfig {
  id: string;
  weight: number;
  /** Messages per second for this sender alone. */
  ratePerSec?: number;
  /** At most this many messages per UTC day (warm-up). */
  dailyCap?: number;
}

/** round-robin: spread by weight. sticky: a recipient always gets the same sender (SMS/WhatsApp conversations). */
export type Distribution = 'round-robin' | 'sticky';

export type Pick = { sender: string } | { waitMs: number } | { exhausted: true };

interface Slot {
  id: string;
  weight: number;
  bucket?: TokenBucket;
  dailyCap?: number;
  used: number;
  current: number; // smooth weighted round-robin state
}

/**
 * Chooses the sender for each message: weighted round-robin (nginx's smooth variant, so a
 * 2:1 split interleaves a-b-a rather than a-a-b) or sticky rendezvous hashing, honouring
 * each sender's own rate and daily cap. A capped sender drops out and the rest carry on.
 */
export class SenderPool {
  private readonly slots: Slot[];

  constructor(
    senders: PoolSenderConfig[],
    private readonly mode: Distribution,
    now: () => number,
    usedToday: Map<string, number> = new Map(),
  ) {
    if (senders.length === 0) throw new Error('a sender pool needs at least one sender');
    this.slots = senders.map((s) => ({
      id: s.id,
      weight: Math.max(0, s.weight),
      bucket: s.ratePerSec ? new TokenBucket(s.ratePerSec, Math.max(1, Math.ceil(s.ratePerSec / 10)), now) : undefined,
      dailyCap: s.dailyCap,
      used: usedToday.get(s.id) ?? 0,
      current: 0,
    }));
  }

  /**
   * Takes the store's count of each sender's day as its own (read in a claim's transaction): it
   * holds other workers' claims and the units outcomes gave back, which local picks cannot know.
   */
  setUsage(usedToday: Map<string, number>): void {
    for (const s of this.slots) s.used = usedToday.get(s.id) ?? 0;
  }

  private capped(s: Slot): boolean {
    return s.dailyCap !== undefined && s.used >= s.dailyCap;
  }

  /** Takes a sender for `address` (its token and a unit of its daily cap), or says how long to wait. */
  take(address: string): Pick {
    const live = this.slots.filter((s) => s.weight > 0 && !this.capped(s));
    if (live.length === 0) return { exhausted: true };
    if (this.mode === 'sticky') {
      const chosen = this.rank(address, live)[0]!;
      return this.takeFrom(chosen);
    }
    const ready = live.filter((s) => !s.bucket || s.bucket.available() >= 1);
    if (ready.length === 0) return { waitMs: Math.max(1, Math.min(...live.map((s) => s.bucket!.msUntilToken()))) };
    let total = 0;
    let best: Slot | undefined;
    for (const s of ready) {
      s.current += s.weight;
      total += s.weight;
      if (!best || s.current > best.current) best = s;
    }
    best!.current -= total;
    return this.takeFrom(best!);
  }

  private takeFrom(s: Slot): Pick {
    if (s.bucket && !s.bucket.tryTake()) return { waitMs: Math.max(1, s.bucket.msUntilToken()) };
    s.used += 1;
    return { sender: s.id };
  }

  /** Rendezvous (highest random weight) hashing: stable per address, proportional to weight. */
  private rank(address: string, slots: Slot[]): Slot[] {
    const score = (s: Slot) => {
      const h = createHash('sha1').update(`${s.id}\u0000${address}`).digest();
      const u = (h.readUInt32BE(0) + 1) / 4294967297; // (0,1)
      return -s.weight / Math.log(u);
    };
    return [...slots].sort((a, b) => score(b) - score(a));
  }

  /** The planned split of `n` messages by weight (largest remainder), for prepare's plan. */
  static plannedSplit(senders: PoolSenderConfig[], n: number): Record<string, number> {
    const live = senders.filter((s) => s.weight > 0);
    const total = live.reduce((a, s) => a + s.weight, 0);
    const out: Record<string, number> = {};
    if (total === 0) return out;
    const exact = live.map((s) => ({ id: s.id, share: (n * s.weight) / total }));
    let given = 0;
    for (const e of exact) given += out[e.id] = Math.floor(e.share);
    const byRemainder = [...exact].sort((a, b) => b.share - Math.floor(b.share) - (a.share - Math.floor(a.share)));
    for (let i = 0; given < n; i++, given++) out[byRemainder[i % byRemainder.length]!.id]! += 1;
    return out;
  }
}
