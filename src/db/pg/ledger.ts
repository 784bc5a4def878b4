/**
 * The PostgreSQL send ledger: the second implementation of the `Ledger` contract
 * (../ledger-contract.ts), for several `campaign send` workers draining one campaign.
 *
 * - A claim is one short transaction: lock the campaign's shared token buckets (which also
 *   serialises the claims of its workers, keeping the shared limits exact), take due rows with
 *   `FOR UPDATE SKIP LOCKED` (rows another worker is claiming are passed over, never waited
 *   for), skip the ones suppressed or without consent since prepare, pick senders, and commit
 *   `sending` with this worker's id before any provider is called.
 * - Shared limits (`limits`): the campaign rate and each sender's rate are rows holding the next
 *   free send slot on the database's clock (hosts' clocks may disagree); a claimed row gets its
 *   slot as `delayMs` and the dispatcher sends it then. Daily usage is counted in `sender_usage`,
 *   so caps hold across workers. A claim the rates cut short says how long to wait (`waitMs`).
 * - Outcomes are written in batches, one UPDATE … FROM unnest(…) per state; a row the provider
 *   did not take (givesBackUsage) gives its claim's daily-cap unit back in the same transaction.
 * - A claim reads the campaign's state (with the rates): a cancelled campaign claims nothing.
 * - A lost connection (a server restart: 57P01, ECONNREFUSED, ECONNRESET) is retried on a
 *   fresh one with backoff for `retryForMs`; the work pauses meanwhile. Every method is safe to
 *   repeat: outcome UPDATEs only move rows out of `sending`, and a claim whose COMMIT was lost
 *   leaves at most its rows in `sending` under this live worker, which become `unknown` after
 *   this run (never sent twice). Past the window the error is thrown (the run stops, exit 75).
 * - `recoverInFlight` turns `sending` rows into `unknown` only when the worker that claimed them
 *   is not live in the registry (./workers.ts): a live worker's rows are in flight, not lost.
 */
import type pg from 'pg';
import { CHANNEL_FIELDS, type Channel } from '../../channels.js';
import type { CustomerRow } from '../customer-columns.js';
import type { ClaimOptions, ClaimResult, Ledger, LedgerState, Outcome, PendingRecipient, SharedLimits } from '../ledger-contract.js';
import { givesBackUsage, LEDGER_STATES, usageDay, usageRefunds, type UsageRef } from '../ledger-contract.js';
import { claimVerdict, skipMessage } from '../ledger.js';
import { isConnectionError } from '../connection-errors.js';
import { lockedRecentCounts } from './claim-caps.js';
import { inTransaction } from './transaction.js';
import type { PgStore } from './open.js';
import { DEFAULT_WORKER_TTL_MS, LIVE_WORKERS_SQL } from './workers.js';

/** The customers columns under CustomerRow's names (PostgreSQL folds unquoted aliases). */
const CUSTOMER_COLUMNS = `c.id AS id, c.external_id AS "externalId", c.email AS email, c.phone AS phone,
  c.first_name AS "firstName", c.last_name AS "lastName", c.country AS country, c.timezone AS timezone,
  c.locale AS locale, c.lifetime_value AS "lifetimeValue", c.order_count AS "orderCount",
  c.last_order_at AS "lastOrderAt", c.created_at AS "createdAt", c.email_opt_in::int AS "emailOptIn",
  c.sms_opt_in::int AS "smsOptIn", c.whatsapp_opt_in::int AS "whatsappOptIn", c.attributes AS attributes,
  c.updated_at AS "updatedAt"`;

type CandidateRow = Omit<CustomerRow, 'attributes'> & {
  rid: number;
  address: string;
  attempts: number;
  /** the A/B test variant whose template this row is sent */
  variant: string | null;
  customerId: number;
  suppressed: boolean;
  consent: boolean | null;
  attributes: unknown;
};

/** The database's clock in epoch ms: shared buckets refill on one clock for every host. */
const DB_NOW_FRACTIONAL = `(extract(epoch FROM clock_timestamp()) * 1000)::float8`;
/** Rows read per round trip by `pending()`: memory stays flat however long the list. */
const PENDING_PAGE = 500;

export interface PgLedgerOptions {
  /** This worker's registry id, written on every row it claims. */
  workerId?: string;
  /** A worker silent for longer than this is dead (its `sending` rows become unknown). */
  workerTtlMs?: number;
  /** How long to keep retrying a lost connection before giving up (default 60 s). */
  retryForMs?: number;
  /** Told once per outage, when the connection is lost and again when it is back. */
  onConnection?: (state: 'lost' | 'back', error?: unknown) => void;
}

const RETRY_FIRST_MS = 200;
const RETRY_MAX_MS = 3_000;

export class PostgresLedger implements Ledger {
  readonly sharesLimits = true;
  private readonly consent: string;

  constructor(
    private readonly store: PgStore,
    readonly campaignId: number,
    readonly channel: Channel,
    readonly provider: string,
    private readonly opts: PgLedgerOptions = {},
  ) {
    this.consent = CHANNEL_FIELDS[channel].consent;
  }

  /** Whether a call gave up on the connection after the whole window (reset by the next success). */
  private gaveUp = false;

  private get pool(): pg.Pool {
    return this.store.pool;
  }

  /** Runs `work`, again on a fresh connection after a connection error, for up to retryForMs. */
  private async retrying<T>(work: () => Promise<T>): Promise<T> {
    // once one call has waited out the window, the next ones (the end of the run: counts, the
    // last outcomes) try once instead of waiting a whole window each, so a database that stays
    // away ends the run with exit 69 within about one window, not several
    const deadline = this.gaveUp ? Date.now() : Date.now() + (this.opts.retryForMs ?? 60_000);
    let wait = RETRY_FIRST_MS;
    let lost = false;
    for (;;) {
      try {
        const out = await work();
        if (lost) this.opts.onConnection?.('back');
        this.gaveUp = false;
        return out;
      } catch (error) {
        if (!isConnectionError(error)) throw error;
        if (Date.now() + wait > deadline) {
          this.gaveUp = true;
          throw error;
        }
        if (!lost) this.opts.onConnection?.('lost', error);
        lost = true;
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = Math.min(RETRY_MAX_MS, wait * 2);
      }
    }
  }

  claim(limit: number, now: number, opts: ClaimOptions): Promise<ClaimResult> {
    return this.retrying(() => this.claimOnce(limit, now, opts));
  }

  private claimOnce(limit: number, now: number, opts: ClaimOptions): Promise<ClaimResult> {
    return inTransaction(this.pool, (client) => this.claimIn(client, limit, now, opts));
  }

  private async claimIn(client: pg.PoolClient, limit: number, now: number, opts: ClaimOptions): Promise<ClaimResult> {
    const limits = opts.limits;
    const rates = limits ? await lockRates(client, this.campaignId, limits) : undefined;
    // a cancel committed before this claim stops it here: read with the rates (no round trip of its own)
    const state = rates?.campaignState ?? (await client.query<{ state: string }>('SELECT state FROM campaigns WHERE id = $1', [this.campaignId])).rows[0]?.state;
    if (state === 'cancelled') return { claimed: [], skipped: 0, deferred: 0, cancelled: true };
    const first = rates?.slot([rates.campaign]);
    if (rates && first === undefined) return { claimed: [], skipped: 0, deferred: 0, waitMs: Math.max(1, Math.ceil(rates.campaign!.nextAt - rates.now - HORIZON_MS)) };
    const allowance = limit;

    const day = usageDay(now);
    const capped = limits?.senders.some((s) => s.dailyCap !== undefined) ?? false;
    // daily usage is shared by every campaign of this provider: one claim counts it at a time
    if (capped) await lockUsage(client, this.provider);
    const usage = capped ? await usageOn(client, this.provider, day) : new Map<string, number>();
    // the pool's caps follow the database's count (other workers' claims, units given back)
    if (capped) opts.onUsage?.(new Map(usage));

    const { rows } = await client.query<CandidateRow>(
      `SELECT r.id AS rid, r.address AS address, r.attempts AS attempts, r.customer_id AS "customerId", r.variant AS variant,
              s.address IS NOT NULL AS suppressed, c.${this.consent} AS consent, ${CUSTOMER_COLUMNS}
       FROM campaign_recipients r LEFT JOIN customers c ON c.id = r.customer_id
       -- a join (one index probe per claimed row), not EXISTS: the planner hashes the whole
       -- suppression list for an EXISTS on every claim, which grows with the list, not the claim
       LEFT JOIN suppressions s ON s.channel = $1 AND s.address = r.address
       WHERE r.campaign_id = $2 AND r.state = 'pending' AND r.next_attempt_at <= $3
       ORDER BY r.next_attempt_at, r.id
       LIMIT $4
       FOR UPDATE OF r SKIP LOCKED`,
      [this.channel, this.campaignId, now, rates?.campaign ? Math.min(allowance, Math.floor(HORIZON_MS / rates.campaign.intervalMs) + 1) : allowance],
    );

    // frequency caps: the candidates' recent messages, counted under per-customer locks (./claim-caps.ts)
    const window = opts.extraCheck?.recentWindowMs;
    const recent =
      window === undefined ? undefined : await lockedRecentCounts(client, { campaignId: this.campaignId, channel: this.channel, customerIds: rows.flatMap((r) => (r.id === null ? [] : [r.customerId])), since: now - window });
    const recentOf = recent && ((customerId: number) => recent.get(customerId) ?? 0);

    const claimed: ClaimResult['claimed'] = [];
    const toSending: { ids: number[]; senders: string[] } = { ids: [], senders: [] };
    const toSkipped: { ids: number[]; codes: string[]; messages: string[] } = { ids: [], codes: [], messages: [] };
    const toDeferred: { ids: number[]; until: number[] } = { ids: [], until: [] };
    const perSender = new Map<string, number>();
    let waitMs: number | undefined;
    let exhausted = false;
    for (const row of rows) {
      const reason = claimVerdict(row, opts.extraCheck, recentOf);
      if (typeof reason === 'object') {
        toDeferred.ids.push(row.rid);
        toDeferred.until.push(reason.defer);
        continue;
      }
      if (reason) {
        toSkipped.ids.push(row.rid);
        toSkipped.codes.push(reason);
        toSkipped.messages.push(skipMessage(reason));
        continue;
      }
      const sender = opts.pickSender(row.address);
      if (sender === undefined) break;
      // the shared limits of this sender, across every worker
      const cap = limits?.senders.find((s) => s.id === sender)?.dailyCap;
      const used = (usage.get(sender) ?? 0) + (perSender.get(sender) ?? 0);
      if (cap !== undefined && used >= cap) {
        exhausted = limits!.senders.every((s) => s.dailyCap !== undefined && (usage.get(s.id) ?? 0) + (perSender.get(s.id) ?? 0) >= s.dailyCap);
        if (!exhausted) waitMs = 1;
        break;
      }
      // the row's send slot under the campaign's and its sender's shared rates
      const mine = [rates?.campaign, rates?.senders.get(sender)];
      const at = rates?.slot(mine);
      if (rates && at === undefined) {
        waitMs = Math.max(1, Math.ceil(Math.max(...mine.map((r) => r?.nextAt ?? 0)) - rates.now - HORIZON_MS));
        break;
      }
      if (rates && at !== undefined) rates.take(mine, at);
      const delayMs = rates && at !== undefined ? Math.max(0, Math.round(at - rates.now)) : 0;
      toSending.ids.push(row.rid);
      toSending.senders.push(sender);
      perSender.set(sender, (perSender.get(sender) ?? 0) + 1);
      const { rid, address, attempts, variant, customerId: _c, suppressed: _s, consent: _k, attributes, ...customer } = row;
      claimed.push({ id: rid, address, attempts: attempts + 1, sender, customer: { ...customer, attributes: JSON.stringify(attributes ?? {}) }, variant, ...(delayMs > 0 ? { delayMs } : {}) });
    }

    if (toSending.ids.length > 0) {
      // `sending` and the day's usage per sender (daily caps), in one statement
      await client.query(
        `WITH s AS (
           UPDATE campaign_recipients r SET state = 'sending', attempts = r.attempts + 1, sender = u.sender,
                  claimed_at = $3, claimed_by = $4, updated_at = $3
           FROM unnest($1::bigint[], $2::text[]) AS u(id, sender)
           WHERE r.id = u.id AND r.state = 'pending'
           RETURNING r.sender)
         INSERT INTO sender_usage (provider, sender, day, count)
         SELECT $5, s.sender, $6, count(*) FROM s GROUP BY s.sender
         ON CONFLICT (provider, sender, day) DO UPDATE SET count = sender_usage.count + EXCLUDED.count`,
        [toSending.ids, toSending.senders, now, this.opts.workerId ?? null, this.provider, day],
      );
    }
    if (toSkipped.ids.length > 0) {
      await client.query(
        `UPDATE campaign_recipients r SET state = 'skipped', error_code = u.code, error_message = u.message, updated_at = $4
         FROM unnest($1::bigint[], $2::text[], $3::text[]) AS u(id, code, message)
         WHERE r.id = u.id AND r.state = 'pending'`,
        [toSkipped.ids, toSkipped.codes, toSkipped.messages, now],
      );
    }
    if (toDeferred.ids.length > 0) {
      await client.query(
        `UPDATE campaign_recipients r SET next_attempt_at = u.until, updated_at = $3
         FROM unnest($1::bigint[], $2::bigint[]) AS u(id, until)
         WHERE r.id = u.id AND r.state = 'pending'`,
        [toDeferred.ids, toDeferred.until, now],
      );
    }
    if (rates) await rates.save(client);
    const result: ClaimResult = { claimed, skipped: toSkipped.ids.length, deferred: toDeferred.ids.length };
    if (claimed.length === 0 && waitMs !== undefined) result.waitMs = waitMs;
    if (claimed.length === 0 && exhausted) result.exhausted = true;
    return result;
  }

  record(outcomes: Outcome[], now: number): Promise<void> {
    return this.retrying(() => this.recordOnce(outcomes, now));
  }

  private async recordOnce(outcomes: Outcome[], now: number): Promise<void> {
    if (outcomes.length === 0) return;
    const sent = outcomes.filter((o): o is Extract<Outcome, { state: 'sent' }> => o.state === 'sent');
    const retry = outcomes.filter((o): o is Extract<Outcome, { state: 'pending' }> => o.state === 'pending');
    const final = outcomes.filter((o): o is Extract<Outcome, { state: 'failed' | 'unknown' | 'skipped' }> => o.state !== 'sent' && o.state !== 'pending');
    const writeAll = async (client: pg.Pool | pg.PoolClient): Promise<void> => {
      const back: UsageRef[] = [];
      if (sent.length > 0) {
        await client.query(
          `UPDATE campaign_recipients r SET state = 'sent', provider_message_id = u.pid, error_code = NULL, error_message = NULL,
                  sent_at = $3, updated_at = $3
           FROM unnest($1::bigint[], $2::text[]) AS u(id, pid)
           WHERE r.id = u.id AND r.state = 'sending'`,
          [sent.map((o) => o.id), sent.map((o) => o.providerMessageId), now],
        );
      }
      if (retry.length > 0) {
        const moved = await client.query<UsageRef>(
          `UPDATE campaign_recipients r SET state = 'pending', error_code = u.code, error_message = u.message,
                  next_attempt_at = u.next, attempts = r.attempts - u.refund, updated_at = $6
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::bigint[], $5::int[]) AS u(id, code, message, next, refund)
           WHERE r.id = u.id AND r.state = 'sending'
           RETURNING r.sender AS sender, r.claimed_at AS "claimedAt"`,
          [retry.map((o) => o.id), retry.map((o) => o.code), retry.map((o) => o.message), retry.map((o) => o.nextAttemptAt), retry.map((o) => (o.refundAttempt ? 1 : 0)), now],
        );
        back.push(...moved.rows);
      }
      if (final.length > 0) {
        const ended = await client.query<UsageRef & { was: LedgerState; state: Outcome['state'] }>(
          // \`was\` joins the row as the statement found it: its state before this UPDATE
          `UPDATE campaign_recipients r SET state = u.state, error_code = u.code, error_message = u.message, updated_at = $5
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[]) AS u(id, state, code, message), campaign_recipients was
           WHERE r.id = u.id AND was.id = r.id AND r.state IN ('sending', 'pending')
           RETURNING was.state AS was, u.state AS state, r.sender AS sender, r.claimed_at AS "claimedAt"`,
          [final.map((o) => o.id), final.map((o) => o.state), final.map((o) => o.code), final.map((o) => o.message), now],
        );
        back.push(...ended.rows.filter((r) => r.was === 'sending' && givesBackUsage(r.state)));
      }
      // the daily-cap units of rows the provider did not take, given back after the rows (a
      // claim takes this lock before rows it never waits for: no cycle)
      const refunds = usageRefunds(back);
      if (refunds.length > 0) {
        await lockUsage(client, this.provider);
        await client.query(
          `UPDATE sender_usage s SET count = greatest(s.count - u.n, 0)
           FROM unnest($2::text[], $3::text[], $4::int[]) AS u(sender, day, n)
           WHERE s.provider = $1 AND s.sender = u.sender AND s.day = u.day`,
          [this.provider, refunds.map((r) => r.sender), refunds.map((r) => r.day), refunds.map((r) => r.n)],
        );
      }
    };
    // all sent (the usual batch) is one statement, atomic by itself: no BEGIN and COMMIT round
    // trips around it; other outcomes may give daily-cap units back, a second statement
    if (retry.length === 0 && final.length === 0) await writeAll(this.pool);
    else await inTransaction(this.pool, writeAll);
  }

  async dueCount(now: number): Promise<number> {
    const { rows } = await this.query<{ n: number }>(`SELECT count(*) AS n FROM campaign_recipients WHERE campaign_id = $1 AND state = 'pending' AND next_attempt_at <= $2`, [this.campaignId, now]);
    return rows[0]!.n;
  }

  async waiting(now: number): Promise<{ count: number; next: number | null }> {
    const { rows } = await this.query<{ n: number; next: number | null }>(
      `SELECT count(*) AS n, min(next_attempt_at) AS next FROM campaign_recipients WHERE campaign_id = $1 AND state = 'pending' AND next_attempt_at > $2`,
      [this.campaignId, now],
    );
    return { count: rows[0]!.n, next: rows[0]!.next };
  }

  /** Counted in the database: every worker's claims are in it, so daily caps are global. */
  async usageToday(now: number): Promise<Map<string, number>> {
    const { rows } = await this.query<{ sender: string; count: number }>('SELECT sender, count FROM sender_usage WHERE provider = $1 AND day = $2', [this.provider, usageDay(now)]);
    return new Map(rows.map((r) => [r.sender, r.count]));
  }

  /** One statement on the pool, retried on a lost connection. */
  private query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
    return this.retrying(() => this.pool.query<R>(text, values));
  }

  async suppress(address: string, reason: string, source: string, now: number): Promise<void> {
    await this.query('INSERT INTO suppressions (channel, address, reason, source, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (channel, address) DO NOTHING', [
      this.channel,
      address,
      reason,
      source,
      now,
    ]);
  }

  /**
   * `sending` rows whose worker is not live (no registry row with a fresh heartbeat; or no
   * worker recorded) become `unknown`, exactly as after a local crash. A live worker's rows are
   * in flight and left alone.
   */
  async recoverInFlight(now: number): Promise<number> {
    const ttl = this.opts.workerTtlMs ?? DEFAULT_WORKER_TTL_MS;
    const r = await this.query(
      `UPDATE campaign_recipients SET state = 'unknown', error_code = 'in_flight_at_crash',
         error_message = 'the sending process stopped while this message was in flight; it may or may not have been sent',
         updated_at = $2
       WHERE campaign_id = $1 AND state = 'sending'
         AND (claimed_by IS NULL OR claimed_by NOT IN (${LIVE_WORKERS_SQL('$1', '$3')}))`,
      [this.campaignId, now, now - ttl],
    );
    return r.rowCount ?? 0;
  }

  async requeue(states: Array<'unknown' | 'failed'>, now: number): Promise<number> {
    if (states.length === 0) return 0;
    const r = await this.query(
      `UPDATE campaign_recipients SET state = 'pending', next_attempt_at = 0, error_code = NULL, error_message = NULL, updated_at = $2
       WHERE campaign_id = $1 AND state = ANY($3::text[])`,
      [this.campaignId, now, states],
    );
    return r.rowCount ?? 0;
  }

  async counts(): Promise<Record<LedgerState, number>> {
    const out = Object.fromEntries(LEDGER_STATES.map((s) => [s, 0])) as Record<LedgerState, number>;
    const { rows } = await this.query<{ state: LedgerState; n: number }>('SELECT state, count(*) AS n FROM campaign_recipients WHERE campaign_id = $1 GROUP BY state', [this.campaignId]);
    for (const r of rows) out[r.state] = r.n;
    return out;
  }

  /**
   * Pending rows with their customers in ledger order, a page at a time by keyset (id > last):
   * flat memory, and no transaction or connection held between pages.
   */
  async *pending(): AsyncIterable<PendingRecipient> {
    let after = 0;
    for (;;) {
      const { rows } = await this.query<Omit<CustomerRow, 'attributes'> & { rid: number; address: string; attributes: unknown }>(
        `SELECT r.id AS rid, r.address AS address, ${CUSTOMER_COLUMNS}
         FROM campaign_recipients r JOIN customers c ON c.id = r.customer_id
         WHERE r.campaign_id = $1 AND r.state = 'pending' AND r.id > $2 ORDER BY r.id LIMIT $3`,
        [this.campaignId, after, PENDING_PAGE],
      );
      for (const { rid, address, attributes, ...customer } of rows) yield { id: rid, address, customer: { ...customer, attributes: JSON.stringify(attributes ?? {}) } };
      if (rows.length < PENDING_PAGE) return;
      after = rows[rows.length - 1]!.rid;
    }
  }
}

/** Serialises the day's usage of a provider's senders: claims debiting it, outcomes giving back. */
async function lockUsage(client: pg.PoolClient | pg.Pool, provider: string): Promise<void> {
  await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`mkt:usage:${provider}`]);
}

async function usageOn(client: pg.PoolClient, provider: string, day: string): Promise<Map<string, number>> {
  const { rows } = await client.query<{ sender: string; count: number }>('SELECT sender, count FROM sender_usage WHERE provider = $1 AND day = $2', [provider, day]);
  return new Map(rows.map((r) => [r.sender, r.count]));
}

/**
 * How far ahead a claim may reserve send slots: enough that a worker holds slots while its next
 * claim waits its turn at the lock (so no slot goes unused and the mean rate is kept), short
 * enough that few rows wait in `sending` for their slot.
 */
const HORIZON_MS = 250;

/** One shared rate as a claim sees it: the next free slot, moved on as rows take slots. */
class SharedRate {
  constructor(
    readonly key: string,
    public nextAt: number,
    readonly intervalMs: number,
  ) {}
}

/**
 * Locks (creating on first use) the campaign's shared rates and reads the database's clock. Each
 * rate is the next free send slot (GCRA): a claimed row takes the later of its rates' slots (or
 * now, never a slot in the past: an idle campaign earns no burst), and each slot moves on by
 * 1/rate. Slots are spaced exactly, so no 1-second window holds more than the rate (plus one),
 * and claims that come late lose nothing.
 */
async function lockRates(client: pg.PoolClient, campaignId: number, limits: SharedLimits) {
  const specs: Array<{ key: string; rate: number }> = [];
  if (limits.ratePerSec) specs.push({ key: '', rate: limits.ratePerSec });
  for (const s of limits.senders) if (s.ratePerSec) specs.push({ key: `sender:${s.id}`, rate: s.ratePerSec });
  const keys = specs.map((s) => s.key);
  let nowMs = 0;
  let campaignState: string | undefined;
  const found = new Map<string, number>();
  if (keys.length > 0) {
    // one round trip: creates a missing rate and locks every one of them (DO UPDATE takes the
    // row lock, so concurrent claims of this campaign queue here, in key order)
    const { rows } = await client.query<{ key: string; next_at: number; now: number; campaign_state: string }>(
      `INSERT INTO rate_buckets AS b (campaign_id, key, next_at)
       SELECT $1, k, 0 FROM unnest($2::text[]) AS k ORDER BY k
       ON CONFLICT (campaign_id, key) DO UPDATE SET key = b.key
       RETURNING b.key, b.next_at, ${DB_NOW_FRACTIONAL} AS now, (SELECT state FROM campaigns WHERE id = $1) AS campaign_state`,
      [campaignId, keys],
    );
    for (const r of rows) {
      found.set(r.key, r.next_at);
      nowMs = r.now;
      campaignState = r.campaign_state;
    }
  }
  const all = specs.map((spec) => new SharedRate(spec.key, Math.max(nowMs, found.get(spec.key) ?? 0), 1000 / spec.rate));
  const campaign = all.find((b) => b.key === '');
  const senders = new Map(all.filter((b) => b.key !== '').map((b) => [b.key.slice('sender:'.length), b]));
  return {
    now: nowMs,
    /** the campaign's state as this claim found it (undefined without a shared rate: read apart) */
    campaignState,
    campaign,
    senders,
    /** The slot a row would take under these rates, or undefined when it is beyond the horizon. */
    slot(rates: Array<SharedRate | undefined>): number | undefined {
      const at = Math.max(nowMs, ...rates.map((r) => r?.nextAt ?? 0));
      return at - nowMs <= HORIZON_MS ? at : undefined;
    },
    take(rates: Array<SharedRate | undefined>, at: number): void {
      for (const r of rates) if (r) r.nextAt = at + r.intervalMs;
    },
    async save(c: pg.PoolClient): Promise<void> {
      if (all.length === 0) return;
      await c.query(
        `UPDATE rate_buckets b SET next_at = u.next_at FROM unnest($2::text[], $3::float8[]) AS u(key, next_at)
         WHERE b.campaign_id = $1 AND b.key = u.key`,
        [campaignId, all.map((b) => b.key), all.map((b) => b.nextAt)],
      );
    },
  };
}
