/**
 * Model-based test of the ledger state machine (fast-check commands) on every ledger, in the
 * store contract style: the same cases against SQLite (in memory) and PostgreSQL (a database of
 * its own, test/support/pg.ts), each with its real migrations: claim, send ok / recipient failure / throttle / ambiguous / fatal,
 * flush, crash (the process's memory is lost, rows in `sending` stay), resume (recoverInFlight),
 * suppress, retry-failed and time passing, in any order. After every command the real ledger
 * must equal the model, and the send guarantees must hold:
 *   - no address is ever delivered twice (at-most-once);
 *   - every row is in exactly one known state;
 *   - no row is claimed while its address is suppressed;
 *   - a row is `unknown` only because of a crash or an ambiguous outcome;
 *   - attempts only grow, except the refund when the provider refused before sending (fatal).
 */
import fc from 'fast-check';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { LEDGER_STATES, type Ledger, type ClaimedRow, type LedgerState, type Outcome } from '../../../src/db/ledger.js';
import { decide, DEFAULT_RETRY_POLICY } from '../../../src/dispatch/retry-policy.js';
import { openPgStore } from '../../../src/db/pg/open.js';
import { pgTestDatabase } from '../../support/pg.js';
import { ProviderError, type ProviderErrorKind } from '../../../src/providers/contract.js';
import { pgLedgerFixture, sqliteLedgerFixture, type LedgerFixture, type LedgerRowView } from '../../support/ledger-fixture.js';

const N = 8;
const ADDRESSES = Array.from({ length: N }, (_, i) => `r${i}@model.example`);

interface ModelRow {
  state: LedgerState;
  attempts: number;
  /** Why a row is unknown: only a crash or an ambiguous outcome may put it there. */
  unknownBecause?: 'crash' | 'ambiguous';
}

interface Model {
  rows: ModelRow[];
  suppressed: Set<string>;
  /** Rows whose provider call this process has in flight (claimed, no outcome yet). */
  inFlight: number[];
  /** Outcomes decided but not yet written (lost on a crash). */
  buffered: number[];
  now: number;
}

interface Real {
  fixture: LedgerFixture;
  ledger: Ledger;
  inFlight: ClaimedRow[];
  buffer: Outcome[];
  /** What the "provider" accepted, per address. */
  delivered: Map<string, number>;
  now: number;
}

type Cmd = fc.AsyncCommand<Model, Real>;

const rowsOf = (r: Real): Promise<LedgerRowView[]> => r.fixture.rows();

/** The invariants, checked after every command. */
async function checkInvariants(m: Model, r: Real, before?: Array<{ attempts: number }>, refunded: number[] = []): Promise<void> {
  const rows = await rowsOf(r);
  expect(rows).toHaveLength(N);
  rows.forEach((row, i) => {
    expect(LEDGER_STATES).toContain(row.state);
    expect({ i, state: row.state, attempts: row.attempts }).toEqual({ i, state: m.rows[i]!.state, attempts: m.rows[i]!.attempts });
    if (row.state === 'unknown') {
      expect(m.rows[i]!.unknownBecause).toBeDefined();
      expect(row.error_code === 'in_flight_at_crash' || row.error_code!.startsWith('ambiguous')).toBe(true);
    }
    if (before && !refunded.includes(i)) expect(row.attempts).toBeGreaterThanOrEqual(before[i]!.attempts);
  });
  for (const [address, n] of r.delivered) expect({ address, n }).toEqual({ address, n: 1 });
}

const indexOf = (address: string) => ADDRESSES.indexOf(address);

class Claim implements Cmd {
  constructor(readonly k: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const before = await rowsOf(r);
    const due = m.rows.filter((x, i) => x.state === 'pending' && (before[i]!.next_attempt_at ?? 0) <= r.now).length;
    const { claimed, skipped } = await r.ledger.claim(this.k, r.now, { pickSender: () => 'sender-1' });
    // every candidate looked at is either claimed or skipped, in order of the claim index
    expect(claimed.length + skipped).toBe(Math.min(this.k, due));
    for (const c of claimed) {
      const i = indexOf(c.address);
      expect(m.rows[i]!.state).toBe('pending');
      expect(m.suppressed.has(c.address)).toBe(false); // never claimed while suppressed
      m.rows[i] = { state: 'sending', attempts: m.rows[i]!.attempts + 1 };
      m.inFlight.push(i);
      r.inFlight.push(c);
    }
    // the rows it skipped were pending and suppressed
    (await rowsOf(r)).forEach((row, i) => {
      if (row.state === 'skipped' && m.rows[i]!.state === 'pending') {
        expect(m.suppressed.has(ADDRESSES[i]!)).toBe(true);
        m.rows[i] = { ...m.rows[i]!, state: 'skipped' };
      }
    });
    await checkInvariants(m, r, before);
  }
  toString = () => `claim(${this.k})`;
}

type Result = 'ok' | 'recipient' | 'throttled' | 'ambiguous-accepted' | 'ambiguous-dropped' | 'fatal';

/** The provider answers the pick-th in-flight request. */
class Answer implements Cmd {
  constructor(
    readonly pick: number,
    readonly result: Result,
  ) {}
  check = (m: Readonly<Model>) => m.inFlight.length > 0;
  async run(m: Model, r: Real): Promise<void> {
    const before = await rowsOf(r);
    const at = this.pick % r.inFlight.length;
    const [row] = r.inFlight.splice(at, 1);
    const [i] = m.inFlight.splice(at, 1);
    expect(indexOf(row!.address)).toBe(i);
    if (this.result === 'ok' || this.result === 'ambiguous-accepted') r.delivered.set(row!.address, (r.delivered.get(row!.address) ?? 0) + 1);
    let outcome: Outcome;
    if (this.result === 'ok') outcome = { id: row!.id, state: 'sent', providerMessageId: `m-${row!.id}-${row!.attempts}` };
    else {
      const kind: ProviderErrorKind = this.result === 'recipient' ? 'recipient' : this.result === 'throttled' ? 'throttled' : this.result === 'fatal' ? 'fatal' : 'ambiguous';
      outcome = decide(new ProviderError(kind, `${kind} from the model`), { id: row!.id, attempts: row!.attempts }, r.now, DEFAULT_RETRY_POLICY, () => 0.5).outcome;
    }
    r.buffer.push(outcome);
    m.buffered.push(i!);
    const mr = m.rows[i!]!;
    // the model's expectation once this outcome is written
    pendingWrites.set(i!, outcome.state === 'unknown' ? { state: 'unknown', attempts: mr.attempts, unknownBecause: 'ambiguous' } : { state: outcome.state, attempts: mr.attempts - ('refundAttempt' in outcome && outcome.refundAttempt ? 1 : 0) });
    await checkInvariants(m, r, before);
  }
  toString = () => `answer(${this.pick}, ${this.result})`;
}

/** Model rows as they will be once the buffered outcomes are written. */
const pendingWrites = new Map<number, ModelRow>();

class Flush implements Cmd {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    const before = await rowsOf(r);
    await r.ledger.record(r.buffer, r.now);
    const refunded: number[] = [];
    for (const i of m.buffered) {
      const next = pendingWrites.get(i)!;
      if (next.attempts < m.rows[i]!.attempts) refunded.push(i);
      m.rows[i] = next;
      pendingWrites.delete(i);
    }
    r.buffer = [];
    m.buffered = [];
    await checkInvariants(m, r, before, refunded);
  }
  toString = () => 'flush';
}

/** kill -9: in-flight requests and unwritten outcomes vanish; the database keeps what was committed. */
class Crash implements Cmd {
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    r.inFlight = [];
    r.buffer = [];
    m.inFlight = [];
    for (const i of m.buffered) pendingWrites.delete(i);
    m.buffered = [];
    await checkInvariants(m, r);
  }
  toString = () => 'crash';
}

/** The next `send` starts: what was left in `sending` becomes unknown (only valid with nothing in flight). */
class Resume implements Cmd {
  check = (m: Readonly<Model>) => m.inFlight.length === 0 && m.buffered.length === 0;
  async run(m: Model, r: Real): Promise<void> {
    const n = await r.ledger.recoverInFlight(r.now);
    expect(n).toBe(m.rows.filter((x) => x.state === 'sending').length);
    m.rows = m.rows.map((x) => (x.state === 'sending' ? { ...x, state: 'unknown', unknownBecause: 'crash' } : x));
    await checkInvariants(m, r);
  }
  toString = () => 'resume';
}

class RetryFailed implements Cmd {
  check = (m: Readonly<Model>) => m.inFlight.length === 0 && m.buffered.length === 0;
  async run(m: Model, r: Real): Promise<void> {
    await r.ledger.requeue(['failed'], r.now);
    m.rows = m.rows.map((x) => (x.state === 'failed' ? { ...x, state: 'pending' } : x));
    await checkInvariants(m, r);
  }
  toString = () => 'retry-failed';
}

class Suppress implements Cmd {
  constructor(readonly i: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    await r.fixture.suppress(ADDRESSES[this.i]!, r.now);
    m.suppressed.add(ADDRESSES[this.i]!);
    await checkInvariants(m, r);
  }
  toString = () => `suppress(${this.i})`;
}

class Tick implements Cmd {
  constructor(readonly ms: number) {}
  check = () => true;
  async run(m: Model, r: Real): Promise<void> {
    r.now += this.ms;
    m.now = r.now;
  }
  toString = () => `tick(${this.ms})`;
}

const commands = [
  fc.integer({ min: 1, max: 4 }).map((k) => new Claim(k)),
  fc.tuple(fc.nat(7), fc.constantFrom<Result>('ok', 'ok', 'recipient', 'throttled', 'ambiguous-accepted', 'ambiguous-dropped', 'fatal')).map(([p, res]) => new Answer(p, res)),
  fc.constant(new Flush()),
  fc.constant(new Crash()),
  fc.constant(new Resume()),
  fc.constant(new RetryFailed()),
  fc.nat(N - 1).map((i) => new Suppress(i)),
  fc.constantFrom(100, 5_000, 60_000).map((ms) => new Tick(ms)),
];

const T0 = 1_700_000_000_000;

async function setup(open: () => Promise<LedgerFixture>): Promise<{ model: Model; real: Real }> {
  const fixture = await open();
  pendingWrites.clear();
  return {
    model: { rows: ADDRESSES.map(() => ({ state: 'pending', attempts: 0 })), suppressed: new Set(), inFlight: [], buffered: [], now: T0 },
    real: { fixture, ledger: fixture.ledger, inFlight: [], buffer: [], delivered: new Map(), now: T0 },
  };
}


const pgDb = await pgTestDatabase('ledger_model');
const pgStore = pgDb ? await openPgStore(pgDb.url) : undefined;
afterAll(async () => {
  await pgStore?.close();
  await pgDb?.drop();
});

const STORES: Array<{ name: string; available: boolean; open: () => Promise<LedgerFixture>; runs: number }> = [
  { name: 'sqlite', available: true, open: () => sqliteLedgerFixture(ADDRESSES, T0), runs: 100 },
  { name: 'postgres', available: pgStore !== undefined, open: () => pgLedgerFixture(pgStore!, ADDRESSES, T0), runs: 40 },
];

describe.each(STORES)('ledger state machine (model-based): $name', ({ available, open, runs }) => {
  let current: LedgerFixture | undefined;
  const fresh = async () => {
    await current?.close();
    const s = await setup(open);
    current = s.real.fixture;
    return s;
  };
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });

  it.skipIf(!available)('keeps at-most-once, one state per row, no claim while suppressed, unknown only from crash/ambiguous, monotone attempts', async () => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { maxCommands: 60 }), async (cmds) => {
        await fc.asyncModelRun(fresh, cmds);
      }),
      { numRuns: runs, seed: 20261129 },
    );
  });

  it.skipIf(!available)('the model is not vacuous: a run reaches sent, failed, skipped and unknown', async () => {
    const { model, real } = await fresh();
    const script: Cmd[] = [new Suppress(7), new Claim(4), new Answer(0, 'ok'), new Answer(0, 'recipient'), new Answer(0, 'ambiguous-accepted'), new Flush(), new Crash(), new Resume(), new Claim(4)];
    for (const c of script) if (c.check(model)) await c.run(model, real);
    const states = new Set((await rowsOf(real)).map((r) => r.state));
    expect([...states].sort()).toEqual(['failed', 'sending', 'sent', 'skipped', 'unknown']);
  });
});
