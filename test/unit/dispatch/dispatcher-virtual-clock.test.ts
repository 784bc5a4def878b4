/**
 * The dispatcher on a virtual clock (test/support/virtual-clock.ts): backoff, retry waits and
 * provider latency are virtual, so the real retry policy (seconds of backoff) runs as is and
 * the times the ledger records are exact.
 */
import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/db/open.js';
import { SqliteLedger } from '../../../src/db/ledger.js';
import { dispatch } from '../../../src/dispatch/dispatcher.js';
import { DEFAULT_RETRY_POLICY } from '../../../src/dispatch/retry-policy.js';
import { ProviderError, type OutgoingMessage, type Provider } from '../../../src/providers/contract.js';
import { VirtualClock } from '../../support/virtual-clock.js';

function setup(n: number, clock: VirtualClock): { store: Store; ledger: SqliteLedger } {
  const store = openStore(':memory:');
  const now = clock.now();
  store.sqlite.prepare(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (1, 'c', 'sms', 's', 'p', 't', ?, ?)`).run(now, now);
  const insC = store.sqlite.prepare(`INSERT INTO customers (phone, sms_opt_in, created_at, updated_at) VALUES (?, 1, ?, ?)`);
  const insR = store.sqlite.prepare(`INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at) VALUES (1, ?, ?, 'pending', 0, ?)`);
  store.sqlite.transaction(() => {
    for (let i = 0; i < n; i++) {
      const phone = `+4915100${String(i).padStart(6, '0')}`;
      insR.run(insC.run(phone, now, now).lastInsertRowid, phone, now);
    }
  })();
  return { store, ledger: new SqliteLedger(store.sqlite, 1, 'sms', 'p') };
}

const build = (row: { address: string; id: number; attempts: number }): OutgoingMessage => ({
  channel: 'sms',
  to: row.address,
  body: 'hi',
  ref: { campaign: 'c', campaignId: 1, recipientId: row.id, attempt: row.attempts, deliveryRef: `c1_r${row.id}_a${row.attempts}` },
});

/** Answers after `latencyMs` of virtual time; `fail(to, n)` may throw instead. */
function provider(clock: VirtualClock, latencyMs: number, fail: (to: string, attempt: number) => ProviderError | undefined = () => undefined) {
  const attempts = new Map<string, number>();
  const sentAt: number[] = [];
  const p: Provider = {
    name: 'p',
    type: 'test',
    channel: 'sms',
    async send(m) {
      const n = (attempts.get(m.to) ?? 0) + 1;
      attempts.set(m.to, n);
      await clock.sleep(latencyMs);
      const error = fail(m.to, n);
      if (error) throw error;
      sentAt.push(clock.now());
      return { providerMessageId: `id-${m.to}-${n}` };
    },
  };
  return { provider: p, attempts, sentAt };
}

const rows = (store: Store) =>
  store.sqlite.prepare('SELECT state, attempts, sent_at AS sentAt FROM campaign_recipients ORDER BY id').all() as Array<{ state: string; attempts: number; sentAt: number | null }>;

describe('dispatcher on a virtual clock', () => {
  it('waits out the real backoff of a throttled first attempt, then sends each recipient once', async () => {
    const clock = new VirtualClock();
    const start = clock.now();
    const { store, ledger } = setup(20, clock);
    const p = provider(clock, 50, (_to, n) => (n === 1 ? new ProviderError('throttled', 'slow down') : undefined));
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 4, clock, policy: DEFAULT_RETRY_POLICY, random: () => 0.5 });
    expect(r.stop).toBe('completed');
    expect(r.sent).toBe(20);
    expect(r.retried).toBe(20);
    expect(rows(store).every((x) => x.state === 'sent' && x.attempts === 2)).toBe(true);
    // every send happened after at least one base backoff of virtual time
    expect(Math.min(...p.sentAt) - start).toBeGreaterThanOrEqual(DEFAULT_RETRY_POLICY.baseDelayMs / 2);
    expect(r.elapsedMs).toBe(clock.now() - start);
    // the ledger's times are the virtual clock's: recorded at or after each accepted send
    for (const x of rows(store)) expect(x.sentAt).toBeGreaterThanOrEqual(Math.min(...p.sentAt));
  });

  it('ends `waiting` when the next retry is further away than it waits in-process', async () => {
    const clock = new VirtualClock();
    const { ledger } = setup(3, clock);
    const p = provider(clock, 10, () => new ProviderError('transient', 'connection refused', { retryAfterMs: 60 * 60_000 }));
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 2, clock, maxRetryWaitMs: 10 * 60_000 });
    expect(r.stop).toBe('waiting');
    expect(r.sent).toBe(0);
    expect(r.waiting.count).toBe(3);
    expect(r.waiting.until).toBeGreaterThanOrEqual(clock.now() + 59 * 60_000);
  });

  it('paces to the rate in virtual time: 30 messages at 10/s take about 3 virtual seconds', async () => {
    const clock = new VirtualClock();
    const { ledger } = setup(30, clock);
    const p = provider(clock, 5);
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 8, clock, ratePerSec: 10 });
    expect(r.sent).toBe(30);
    // no one-second window holds more than the rate plus the small burst
    for (const t of p.sentAt) expect(p.sentAt.filter((u) => u >= t && u < t + 1000).length).toBeLessThanOrEqual(11);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(2500);
  });

  it('reports progress from the meter with the virtual elapsed time and rate', async () => {
    const clock = new VirtualClock();
    const { ledger } = setup(10, clock);
    const p = provider(clock, 100);
    const seen: Array<{ sent: number; remaining: number; elapsedMs: number }> = [];
    const r = await dispatch({
      ledger,
      provider: p.provider,
      buildMessage: build,
      senders: [{ id: 'A', weight: 1 }],
      concurrency: 1,
      clock,
      onProgress: (x) => seen.push({ sent: x.sent, remaining: x.remaining, elapsedMs: x.elapsedMs }),
    });
    expect(r.sent).toBe(10);
    expect(seen[0]).toEqual({ sent: 0, remaining: 10, elapsedMs: 0 });
    expect(seen.at(-1)).toEqual({ sent: 10, remaining: 0, elapsedMs: r.elapsedMs });
    expect(r.elapsedMs).toBeGreaterThanOrEqual(1000); // ten sends one after another, 100 ms each
    for (const s of seen) expect(s.sent + s.remaining).toBe(10);
  });
});
