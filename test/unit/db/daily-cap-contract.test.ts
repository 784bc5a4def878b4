/**
 * Daily caps on both ledgers (the store contract style: the same cases against SQLite in memory
 * and PostgreSQL in a database of its own). What a cap counts: a claim reserves one unit per
 * row, and an outcome that shows the provider did not take the message gives it back, so what
 * stays counted is what is in flight, `sent` or `unknown`. A cap of N therefore sends exactly N
 * through the real dispatcher, whatever was retried, refused or failed on the way. Also what a
 * claim reads with the caps: the campaign's state, so a cancel stops the next claim.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Ledger, Outcome } from '../../../src/db/ledger-contract.js';
import { openPgStore, type PgStore } from '../../../src/db/pg/open.js';
import { dispatch, systemClock } from '../../../src/dispatch/dispatcher.js';
import { ProviderError, type OutgoingMessage, type Provider } from '../../../src/providers/contract.js';
import { pgLedgerFixture, sqliteLedgerFixture, type LedgerFixture } from '../../support/ledger-fixture.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('daily_cap_contract');
let pgStore: PgStore | undefined;
beforeAll(async () => {
  if (pgDb) pgStore = await openPgStore(pgDb.url);
});
afterAll(async () => {
  await pgStore?.close();
  await pgDb?.drop();
});

const NOW = Date.UTC(2026, 5, 1, 12);
const addresses = (n: number) => Array.from({ length: n }, (_, i) => `r${i}@cap.example`);
const stores: Array<{ name: string; available: () => boolean; open: (n: number, now: number) => Promise<LedgerFixture> }> = [
  { name: 'sqlite', available: () => true, open: (n, now) => sqliteLedgerFixture(addresses(n), now) },
  { name: 'postgres', available: () => pgDb !== undefined, open: (n, now) => pgLedgerFixture(pgStore!, addresses(n), now) },
];

const capped = (cap: number) => ({ pickSender: () => 's1', limits: { senders: [{ id: 's1', dailyCap: cap }] } });
const usageOf = async (ledger: Ledger, now: number) => (await ledger.usageToday(now)).get('s1') ?? 0;

/** Accepts every message except the ones `fail` throws for; counts what it accepted. */
function provider(fail: (to: string, attempt: number) => ProviderError | undefined) {
  const accepted: string[] = [];
  const p: Provider = {
    name: 'p',
    type: 'test',
    channel: 'email',
    async send(m) {
      await new Promise((r) => setTimeout(r, 1));
      const error = fail(m.to, m.ref.attempt);
      if (error) throw error;
      accepted.push(m.to);
      return { providerMessageId: `id-${accepted.length}` };
    },
  };
  return { provider: p, accepted };
}

const build = (row: { address: string; id: number; attempts: number }): OutgoingMessage => ({
  channel: 'email',
  to: row.address,
  headers: [],
  subject: 'hi',
  html: '<p>hi</p>',
  text: 'hi',
  ref: { campaign: 'm', campaignId: 1, recipientId: row.id, attempt: row.attempts, deliveryRef: `c1_r${row.id}_a${row.attempts}` },
});

for (const kind of stores) {
  describe.skipIf(!kind.available())(`daily caps on ${kind.name}`, () => {
    it('counts what is in flight, sent or unknown: retried, failed and skipped rows give their unit back, once', async () => {
      const f = await kind.open(6, NOW);
      try {
        const { claimed } = await f.ledger.claim(6, NOW, capped(100));
        expect(claimed).toHaveLength(6);
        expect(await usageOf(f.ledger, NOW)).toBe(6);
        const [a, b, c, d, e] = claimed.map((r) => r.id);
        const outcomes: Outcome[] = [
          { id: a!, state: 'sent', providerMessageId: 'x' },
          { id: b!, state: 'unknown', code: 'ambiguous', message: 'timeout' },
          { id: c!, state: 'pending', code: 'not_sent', message: 'the run stopped before its send slot', nextAttemptAt: NOW, refundAttempt: true },
          { id: d!, state: 'failed', code: 'recipient', message: 'bad address' },
          { id: e!, state: 'skipped', code: 'suppressed', message: 'suppressed' },
        ];
        await f.ledger.record(outcomes, NOW + 1);
        // sent, unknown and the one still `sending`
        expect(await usageOf(f.ledger, NOW)).toBe(3);
        // a batch written twice (a retried write) gives nothing back the second time
        await f.ledger.record(outcomes, NOW + 2);
        expect(await usageOf(f.ledger, NOW)).toBe(3);
      } finally {
        await f.close();
      }
    });

    it('a claim after the campaign was cancelled claims nothing and says so (with and without a shared rate)', async () => {
      const f = await kind.open(4, NOW);
      try {
        expect((await f.ledger.claim(1, NOW, capped(100))).claimed).toHaveLength(1);
        await f.cancel();
        for (const limits of [{ senders: [{ id: 's1' }] }, { ratePerSec: 50, senders: [{ id: 's1' }] }]) {
          const r = await f.ledger.claim(4, NOW, { pickSender: () => 's1', limits });
          expect(r).toMatchObject({ claimed: [], cancelled: true });
        }
        expect((await f.rows()).map((x) => x.state)).toEqual(['sending', 'pending', 'pending', 'pending']);
      } finally {
        await f.close();
      }
    });

    it('a cap of 10 sends exactly 10 through the dispatcher, with retries and recipient failures on the way', async () => {
      const now = Date.now();
      const f = await kind.open(40, now);
      try {
        // every third address is refused once as transient (retried), every seventh fails for good
        const p = provider((to, attempt) => {
          const i = Number(/r(\d+)@/.exec(to)![1]);
          if (i % 7 === 3) return new ProviderError('recipient', 'no such mailbox');
          if (i % 3 === 1 && attempt === 1) return new ProviderError('transient', 'connection refused');
          return undefined;
        });
        const r = await dispatch({
          ledger: f.ledger,
          provider: p.provider,
          buildMessage: build,
          senders: [{ id: 's1', weight: 1, dailyCap: 10 }],
          concurrency: 4,
          clock: systemClock(),
          policy: { maxAttempts: 8, baseDelayMs: 2, maxDelayMs: 5, ambiguous: 'unknown' },
        });
        expect(r.stop).toBe('daily_cap');
        expect(p.accepted).toHaveLength(10);
        expect(r.sent).toBe(10);
        expect(await usageOf(f.ledger, now)).toBe(10);
        const rows = await f.rows();
        expect(rows.filter((x) => x.state === 'sent')).toHaveLength(10);
        expect(rows.filter((x) => x.state === 'sending')).toHaveLength(0);
      } finally {
        await f.close();
      }
    });
  });
}
