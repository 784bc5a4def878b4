import { describe, expect, it } from 'vitest';
import { openStore, type Store } from '../../../src/db/open.js';
import { SqliteLedger, type Ledger } from '../../../src/db/ledger.js';
import { dispatch, systemClock } from '../../../src/dispatch/dispatcher.js';
import { ProviderError, type OutgoingMessage, type Provider } from '../../../src/providers/contract.js';
import { RenderError } from '../../../src/templates/contract.js';

/** A store with one SMS campaign and `n` consenting recipients. */
function setup(n: number): { store: Store; ledger: Ledger; addresses: string[] } {
  const store = openStore(':memory:');
  const now = Date.now();
  const insC = store.sqlite.prepare(`INSERT INTO customers (phone, sms_opt_in, created_at, updated_at, first_name) VALUES (?, 1, ?, ?, ?)`);
  const insR = store.sqlite.prepare(`INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at) VALUES (1, ?, ?, 'pending', 0, ?)`);
  store.sqlite.prepare(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (1, 'c', 'sms', 's', 'p', 't', ?, ?)`).run(now, now);
  const addresses: string[] = [];
  store.sqlite.transaction(() => {
    for (let i = 0; i < n; i++) {
      const phone = `+4915100${String(i).padStart(6, '0')}`;
      const id = insC.run(phone, now, now, `n${i}`).lastInsertRowid;
      insR.run(id, phone, now);
      addresses.push(phone);
    }
  })();
  return { store, ledger: new SqliteLedger(store.sqlite, 1, 'sms', 'p'), addresses };
}

/** A provider that behaves as a test script says; records what it accepted and its concurrency. */
function scriptedProvider(behaviour: (m: OutgoingMessage, n: number) => Promise<void> | void = () => {}) {
  const accepted: Array<{ to: string; sender: string; at: number }> = [];
  let calls = 0;
  let inFlight = 0;
  let maxInFlight = 0;
  const provider: Provider = {
    name: 'p',
    type: 'test',
    channel: 'sms',
    async send(m, sender) {
      const n = ++calls;
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 1));
        await behaviour(m, n);
        accepted.push({ to: m.to, sender, at: Date.now() });
        return { providerMessageId: `id-${n}` };
      } finally {
        inFlight--;
      }
    },
  };
  return { provider, accepted, stats: () => ({ calls, maxInFlight }) };
}

const build = (row: { address: string; id: number; attempts: number }): OutgoingMessage => ({
  channel: 'sms',
  to: row.address,
  body: 'hi',
  ref: { campaign: 'c', campaignId: 1, recipientId: row.id, attempt: row.attempts, deliveryRef: `c1_r${row.id}_a${row.attempts}` },
});

const states = (store: Store) =>
  Object.fromEntries((store.sqlite.prepare('SELECT state, count(*) n FROM campaign_recipients GROUP BY state').all() as Array<{ state: string; n: number }>).map((r) => [r.state, r.n]));

const fastPolicy = { maxAttempts: 8, baseDelayMs: 5, maxDelayMs: 20, ambiguous: 'unknown' as const };

describe('dispatcher', () => {
  it('sends every recipient exactly once and never exceeds the concurrency', async () => {
    const { store, ledger, addresses } = setup(300);
    const p = scriptedProvider();
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 7, clock: systemClock() });
    expect(r.stop).toBe('completed');
    expect(r.sent).toBe(300);
    expect(new Set(p.accepted.map((a) => a.to)).size).toBe(300);
    expect(p.accepted.map((a) => a.to).sort()).toEqual([...addresses].sort());
    expect(p.stats().maxInFlight).toBeLessThanOrEqual(7);
    expect(p.stats().maxInFlight).toBeGreaterThan(1);
    expect(states(store)).toEqual({ sent: 300 });
    const ids = store.sqlite.prepare('SELECT count(DISTINCT provider_message_id) n FROM campaign_recipients').get() as { n: number };
    expect(ids.n).toBe(300);
  });

  it('retries throttled sends until they go through, each recipient accepted once', async () => {
    const { store, ledger } = setup(200);
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const p = scriptedProvider(() => {
      if (rnd() < 0.3) throw new ProviderError('throttled', 'Maximum sending rate exceeded.', { vendorCode: 'TooManyRequestsException', httpStatus: 429 });
    });
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 8, clock: systemClock(), policy: fastPolicy, random: rnd });
    expect(r.stop).toBe('completed');
    expect(r.retried).toBeGreaterThan(20);
    expect(p.accepted.length).toBe(200);
    expect(new Set(p.accepted.map((a) => a.to)).size).toBe(200);
    expect(states(store)).toEqual({ sent: 200 });
  });

  it('records ambiguous failures as unknown and never resends them', async () => {
    const { store, ledger } = setup(50);
    const p = scriptedProvider((m) => {
      if (m.to.endsWith('7')) throw new ProviderError('ambiguous', 'socket hang up', { vendorCode: 'ECONNRESET' });
    });
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 4, clock: systemClock() });
    expect(r.unknown).toBe(5);
    expect(p.stats().calls).toBe(50);
    expect(states(store)).toEqual({ sent: 45, unknown: 5 });
    // a second run sends nothing more
    const again = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 4, clock: systemClock() });
    expect(again.sent + again.unknown).toBe(0);
    expect(p.stats().calls).toBe(50);
    // the operator asks: unknowns go again
    expect(await ledger.requeue(['unknown'], Date.now())).toBe(5);
  });

  it('with at-least-once opted in (ambiguous: retry), an ambiguous failure is sent again', async () => {
    const { store, ledger } = setup(30);
    const failedOnce = new Set<string>();
    const p = scriptedProvider((m) => {
      if (m.to.endsWith('3') && !failedOnce.has(m.to)) {
        failedOnce.add(m.to);
        throw new ProviderError('ambiguous', 'request timed out after it was sent', { vendorCode: 'TimeoutError' });
      }
    });
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 4, clock: systemClock(), policy: { ...fastPolicy, ambiguous: 'retry' } });
    expect(r.stop).toBe('completed');
    expect(r.unknown).toBe(0);
    expect(states(store)).toEqual({ sent: 30 });
    expect(p.stats().calls).toBe(30 + failedOnce.size);
  });

  it('pauses on a fatal error: at most `concurrency` further requests, the row goes back to pending', async () => {
    const { store, ledger } = setup(500);
    let failing = false;
    const p = scriptedProvider((_m, n) => {
      if (n === 100) failing = true;
      if (failing) throw new ProviderError('fatal', 'The security token included in the request is invalid.', { vendorCode: '20003', httpStatus: 401 });
    });
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 10, clock: systemClock() });
    expect(r.stop).toBe('paused');
    expect(r.code).toBe('fatal:20003');
    expect(p.stats().calls).toBeLessThanOrEqual(100 + 10);
    const s = states(store);
    expect(s.sent).toBe(99);
    expect(s.sending ?? 0).toBe(0);
    expect(s.pending).toBe(500 - 99);
  });

  it('fails one recipient on a render error and carries on', async () => {
    const { store, ledger } = setup(20);
    const p = scriptedProvider();
    const r = await dispatch({
      ledger,
      provider: p.provider,
      buildMessage: (row) => {
        if (row.customer.firstName === 'n3') throw new RenderError('undefined variable: coupon, line:1, col:5', 'render_failed');
        return build(row);
      },
      senders: [{ id: 'A', weight: 1 }],
      concurrency: 4,
      clock: systemClock(),
    });
    expect(r.sent).toBe(19);
    expect(r.failed).toBe(1);
    expect(states(store)).toEqual({ sent: 19, failed: 1 });
    const row = store.sqlite.prepare("SELECT error_code, error_message FROM campaign_recipients WHERE state = 'failed'").get() as { error_code: string; error_message: string };
    expect(row.error_code).toBe('render_failed');
    expect(row.error_message).toContain('coupon');
  });

  it('skips a recipient suppressed after prepare, and stops claiming when interrupted', async () => {
    const { store, ledger, addresses } = setup(100);
    store.sqlite.prepare(`INSERT INTO suppressions (channel, address, reason, created_at) VALUES ('sms', ?, 'stop_keyword', 0)`).run(addresses[10]);
    const ac = new AbortController();
    const p = scriptedProvider((_m, n) => {
      if (n === 40) ac.abort();
    });
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 2, clock: systemClock(), signal: ac.signal });
    expect(r.stop).toBe('interrupted');
    expect(p.accepted.map((a) => a.to)).not.toContain(addresses[10]);
    const s = states(store);
    expect(s.skipped).toBe(1);
    expect(s.sending ?? 0).toBe(0);
    expect(s.sent).toBeGreaterThanOrEqual(39);
    expect(s.sent).toBeLessThanOrEqual(41);
    // resume: finishes the rest, nobody twice
    const r2 = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 2, clock: systemClock() });
    expect(r2.stop).toBe('completed');
    expect(new Set(p.accepted.map((a) => a.to)).size).toBe(p.accepted.length);
    expect(states(store)).toEqual({ sent: 99, skipped: 1 });
  });

  it('turns rows left in `sending` by a crash into unknown', async () => {
    const { store, ledger } = setup(10);
    const claimed = await ledger.claim(3, Date.now(), { pickSender: () => 'A' });
    expect(claimed.claimed).toHaveLength(3);
    // process dies here; the next run starts with recovery
    expect(await ledger.recoverInFlight(Date.now())).toBe(3);
    expect(states(store)).toEqual({ pending: 7, unknown: 3 });
  });

  it('paces to the rate: no one-second window above it', async () => {
    const { ledger } = setup(130);
    const p = scriptedProvider();
    const rate = 100;
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 16, ratePerSec: rate, clock: systemClock() });
    expect(r.sent).toBe(130);
    const times = p.accepted.map((a) => a.at).sort((a, b) => a - b);
    let worst = 0;
    for (let i = 0, j = 0; i < times.length; i++) {
      while (times[i]! - times[j]! >= 1000) j++;
      worst = Math.max(worst, i - j + 1);
    }
    expect(worst).toBeLessThanOrEqual(rate + 2);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(1000);
  });

  it('splits by sender weight and drops a sender that reaches its daily cap', async () => {
    const { ledger } = setup(300);
    const p = scriptedProvider();
    const r = await dispatch({
      ledger,
      provider: p.provider,
      buildMessage: build,
      senders: [
        { id: 'A', weight: 2 },
        { id: 'B', weight: 1 },
        { id: 'C', weight: 1, dailyCap: 10 },
      ],
      concurrency: 4,
      clock: systemClock(),
    });
    expect(r.sent).toBe(300);
    expect(r.bySender.C).toBe(10);
    expect(r.bySender.A! / r.bySender.B!).toBeGreaterThan(1.8);
    expect(r.bySender.A! / r.bySender.B!).toBeLessThan(2.2);
  });

  it('stops for the day when every sender is capped, leaving the rest pending', async () => {
    const { store, ledger } = setup(30);
    const p = scriptedProvider();
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1, dailyCap: 12 }], concurrency: 3, clock: systemClock() });
    expect(r.stop).toBe('daily_cap');
    expect(states(store)).toEqual({ sent: 12, pending: 18 });
    // the cap survives a restart: the ledger counted today's usage
    const r2 = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1, dailyCap: 12 }], concurrency: 3, clock: systemClock() });
    expect(r2.stop).toBe('daily_cap');
    expect(r2.sent).toBe(0);
  });

  it('suppresses an address the provider reports as opted out', async () => {
    const { store, ledger, addresses } = setup(10);
    const p = scriptedProvider((m) => {
      if (m.to === addresses[4]) throw new ProviderError('recipient', 'Attempt to send to unsubscribed recipient', { vendorCode: '21610', httpStatus: 400, suppress: 'stop_keyword' });
    });
    await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 2, clock: systemClock() });
    expect(states(store)).toEqual({ sent: 9, failed: 1 });
    const sup = store.sqlite.prepare('SELECT channel, address, reason FROM suppressions').all();
    expect(sup).toEqual([{ channel: 'sms', address: addresses[4], reason: 'stop_keyword' }]);
  });

  it('--limit sends a canary batch and leaves the rest pending', async () => {
    const { store, ledger } = setup(50);
    const p = scriptedProvider();
    const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 4, limit: 10, clock: systemClock() });
    expect(r.stop).toBe('limit');
    expect(states(store)).toEqual({ sent: 10, pending: 40 });
  });
});

describe('dispatcher with a locked ledger', () => {
  it('stops claiming when another process holds the lock, keeps every outcome, and resumes cleanly', async () => {
    const { mkdtempSync, rmSync } = await import('node:fs');
    const os = await import('node:os');
    const path = await import('node:path');
    const Database = (await import('better-sqlite3')).default;
    const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-lock-'));
    try {
      const file = path.join(dir, 'mkt.db');
      const store = openStore(file);
      store.sqlite.pragma('busy_timeout = 50');
      const now = Date.now();
      store.sqlite.prepare(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (1, 'c', 'sms', 's', 'p', 't', ?, ?)`).run(now, now);
      for (let i = 0; i < 60; i++) {
        const id = store.sqlite.prepare(`INSERT INTO customers (phone, sms_opt_in, created_at, updated_at) VALUES (?, 1, ?, ?)`).run(`+49151${100000 + i}`, now, now).lastInsertRowid;
        store.sqlite.prepare(`INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at) VALUES (1, ?, ?, 'pending', 0, ?)`).run(id, `+49151${100000 + i}`, now);
      }
      const ledger = new SqliteLedger(store.sqlite, 1, 'sms', 'p');
      const other = new Database(file);
      const p = scriptedProvider((_m, n) => {
        if (n === 20) {
          other.prepare('BEGIN IMMEDIATE').run();
          setTimeout(() => other.prepare('ROLLBACK').run(), 400);
        }
      });
      const r = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 3, clock: systemClock() });
      expect(r.stop).toBe('database');
      expect(r.code).toBe('database_locked');
      const s = states(store);
      // every request that reached the provider has its outcome in the ledger: nothing left in `sending`
      expect(s.sending ?? 0).toBe(0);
      expect(s.sent).toBe(p.accepted.length);
      const again = await dispatch({ ledger, provider: p.provider, buildMessage: build, senders: [{ id: 'A', weight: 1 }], concurrency: 3, clock: systemClock() });
      expect(again.stop).toBe('completed');
      expect(states(store)).toEqual({ sent: 60 });
      expect(new Set(p.accepted.map((a) => a.to)).size).toBe(60);
      other.close();
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
