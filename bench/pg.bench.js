// The PostgreSQL store (issue 14) against hand-written SQL on the same server, in the same run:
// - `segment count` of the sample segments on 1,000,000 customers (target ≤ 1.5×): the whole
//   core call (YAML, resolve, compile for PostgreSQL, count) vs the same filter written by hand;
// - `campaign prepare` freezing the ~1M-recipient list (target ≤ 1.5×): the whole core call
//   (the exclusion counts from their own scan, the frozen INSERT … SELECT, the plan hash on the
//   server, one aggregate over the list) vs one hand-written INSERT … SELECT … GROUP BY email.
// - `customers import` via COPY (target ≥ 0.5× a bare COPY of the same rows): bench/pg-import.js,
//   run first, on the empty store; MKT_BENCH_PG_ONLY=import runs only this case, and
//   MKT_BENCH_PG_ONLY=prepare only the prepare case (no import, no segment counts).
// The customers are the SQLite benches' seeded store (with prepare.bench.js's exclusions) moved
// up with `mkt db copy`, whose time is reported too. The server is MKT_BENCH_PG_URL, else
// MKT_TEST_PG_URL (scripts/pg-test-setup.sh); the bench makes a database of its own and drops it
// (./pg-database.js).
// Without a server it reports nothing measured and says why.
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { createCampaign } from '../dist/campaigns/create.js';
import { prepareCampaign } from '../dist/campaigns/prepare.js';
import { openRepositories } from '../dist/db/connect.js';
import { copyDatabase } from '../dist/db/copy.js';
import { openStore } from '../dist/db/open.js';
import { countSegment } from '../dist/segments/index.js';
import { benchDatabase } from './pg-database.js';
import { pgImportCase } from './pg-import.js';
import { benchWorkspace, median, round, scaled } from './workspace.js';

const CUSTOMERS = scaled(1_000_000, 100);
const SEGMENT_RUNS = 7;
const PREPARE_RUNS = 3;
const NOW = new Date('2026-01-15T12:00:00Z');
const DAY = 86_400_000;

const PROVIDERS = `providers:
  - name: outbox
    type: outbox
    channel: email
    senders: [ "Acme News <news@m1.acme.example>" ]
`;

/** The sample segments and what a person would write for each on PostgreSQL (bench/segments.bench.js's cases). */
const CASES = [
  { segment: 'recent-buyers', sql: 'SELECT count(*) AS n FROM customers WHERE last_order_at >= $1', params: [NOW.getTime() - 30 * DAY] },
  {
    segment: 'sms-optin-eu',
    sql: "SELECT count(*) AS n FROM customers WHERE sms_opt_in AND phone IS NOT NULL AND country IN ('DE', 'AT', 'FR', 'ES', 'IT', 'NL')",
    params: [],
  },
  {
    segment: 'high-value-dach',
    sql: `SELECT count(*) AS n FROM customers
          WHERE lifetime_value > 500 AND country IN ('DE', 'AT', 'CH')
            AND (last_order_at >= $1 OR order_count >= 10)
            AND attributes->>'plan' = 'pro'
            AND NOT (order_count >= 1 AND last_order_at < $2)`,
    params: [NOW.getTime() - 90 * DAY, NOW.getTime() - 180 * DAY],
  },
];

/**
 * What a person would write for the same send list: consenting, a well-formed address (mkt's
 * shape check), not suppressed, not forgotten (erased on request: sha256 of '<kind>:<address>',
 * skipped while nobody is forgotten, as mkt does), one row per address with its lowest customer
 * id, inserted in customer order (the list's ledger order, which claims follow). The bench checks
 * that both lists hold the same rows in the same order.
 */
const HAND_PREPARE = `
  INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at)
  SELECT $1, min(c.id) AS cid, c.email, 'pending', 0, $2 FROM customers c
  WHERE c.email_opt_in AND c.email LIKE '%_@_%._%' AND c.email NOT LIKE '% %'
    AND NOT EXISTS (SELECT 1 FROM suppressions s WHERE s.channel = 'email' AND s.address = c.email)
    AND (NOT EXISTS (SELECT 1 FROM forgotten_addresses)
         OR NOT EXISTS (SELECT 1 FROM forgotten_addresses f WHERE f.hash = encode(sha256(convert_to('email:' || c.email, 'UTF8')), 'hex')))
  GROUP BY c.email ORDER BY cid`;

/** A digest of a campaign's list in ledger order: equal digests, the same rows in the same order. */
const LIST_DIGEST = `SELECT count(*) AS n, md5(string_agg(customer_id || ' ' || address, E'\\n' ORDER BY id)) AS digest FROM campaign_recipients WHERE campaign_id = $1`;

/** prepare.bench.js's exclusions: 2% without consent, 1% suppressed, 1% sharing an address. */
function addExclusions(file) {
  const store = openStore(file);
  store.sqlite.exec(`
    UPDATE customers SET email_opt_in = 0 WHERE id % 50 = 0;
    UPDATE customers SET email = (SELECT p.email FROM customers p WHERE p.id = customers.id - 1) WHERE id % 100 = 11;
    INSERT INTO suppressions (channel, address, reason, source, created_at)
      SELECT 'email', email, 'unsubscribed', 'bench', 0 FROM customers WHERE id % 100 = 7;
  `);
  store.close();
}

export default async function pgBench() {
  const target = await benchDatabase();
  if (!target.url) return { description: 'The PostgreSQL store vs hand-written SQL on the same server.', figures: [], notes: [`not measured: ${target.why}`] };
  const only = process.env.MKT_BENCH_PG_ONLY;
  const imported =
    only === 'prepare'
      ? undefined
      : await pgImportCase(target.url).catch(async (e) => {
          await target.drop();
          throw e;
        });
  if (only === 'import') {
    await target.drop();
    return { description: 'The PostgreSQL store: `customers import` via COPY only (MKT_BENCH_PG_ONLY=import).', figures: imported.figures, notes: [imported.note], detail: { import: imported.detail } };
  }
  const ws = benchWorkspace({ providers: PROVIDERS, customers: CUSTOMERS });
  let repos;
  try {
    addExclusions(ws.db);
    let t = performance.now();
    const copy = await copyDatabase(ws.db, target.url, { cwd: ws.dir });
    const copySeconds = (performance.now() - t) / 1000;
    repos = await openRepositories({ kind: 'postgres', url: target.url });
    const sql = new pg.Pool({ connectionString: target.url, max: 2 });
    // statistics, as autovacuum would have gathered them on a store in use; then no autovacuum
    // worker starts mid-measurement (nor holds the database when the bench drops it)
    await sql.query('VACUUM ANALYZE');
    for (const t of ['customers', 'suppressions', 'campaigns', 'campaign_recipients']) await sql.query(`ALTER TABLE ${t} SET (autovacuum_enabled = false)`);

    const figures = imported ? [...imported.figures] : [];
    const counts = {};
    for (const c of only === 'prepare' ? [] : CASES) {
      await sql.query(c.sql, c.params); // warm the buffer cache once for both sides
      const mine = [];
      const hand = [];
      let mineCount = -1;
      let handCount = -1;
      for (let i = 0; i < SEGMENT_RUNS; i++) {
        t = performance.now();
        mineCount = (await countSegment(repos.segments, ws.dir, c.segment, NOW)).count;
        mine.push(performance.now() - t);
        t = performance.now();
        handCount = Number((await sql.query(c.sql, c.params)).rows[0].n);
        hand.push(performance.now() - t);
      }
      if (mineCount !== handCount) throw new Error(`${c.segment}: mkt counted ${mineCount}, the hand-written SQL ${handCount}`);
      const ratio = median(mine) / median(hand);
      counts[c.segment] = mineCount;
      figures.push({
        name: `PostgreSQL segment count ${c.segment} (${mineCount} customers)`,
        value: round(median(mine)),
        unit: 'ms',
        baseline: 'hand-written SQL on PostgreSQL',
        baselineValue: round(median(hand)),
        ratio: round(ratio),
        target: '≤ 1.5×',
        pass: ratio <= 1.5,
        runs: SEGMENT_RUNS,
      });
    }

    const deps = { repos, workspace: ws.dir, env: ws.env, now: () => NOW.getTime() };
    const spec = { channel: 'email', segment: 'everyone-email', provider: 'outbox', template: 'spring-sale' };
    const mkt = await createCampaign(deps, { ...spec, name: 'prep-mkt' });
    const hand = await createCampaign(deps, { ...spec, name: 'prep-hand' });
    const handRun = async () => {
      const client = await sql.connect();
      try {
        await client.query('BEGIN');
        await client.query('DELETE FROM campaign_recipients WHERE campaign_id = $1', [hand.id]);
        const n = (await client.query(HAND_PREPARE, [hand.id, Date.now()])).rowCount;
        await client.query('COMMIT');
        return n;
      } finally {
        client.release();
      }
    };
    const mine = [];
    const theirs = [];
    let plan;
    let handCount = 0;
    for (let i = 0; i <= PREPARE_RUNS; i++) {
      globalThis.gc?.();
      t = performance.now();
      plan = await prepareCampaign(deps, 'prep-mkt');
      const m = performance.now() - t;
      t = performance.now();
      handCount = await handRun();
      const h = performance.now() - t;
      // run 0 warms the cache and gives both campaigns their rows
      if (i > 0) {
        mine.push(m);
        theirs.push(h);
      }
    }
    if (plan.recipients !== handCount) throw new Error(`mkt froze ${plan.recipients} recipients, the hand-written SQL ${handCount}`);
    const [mineList, handList] = await Promise.all([mkt.id, hand.id].map(async (id) => (await sql.query(LIST_DIGEST, [id])).rows[0]));
    if (mineList.digest !== handList.digest) throw new Error(`mkt's list and the hand-written one differ (${mineList.n} vs ${handList.n} rows, or their order)`);
    const ratio = median(mine) / median(theirs);
    figures.push({
      name: `PostgreSQL prepare ${plan.recipients} recipients from ${CUSTOMERS} customers`,
      value: round(median(mine), 1),
      unit: 'ms',
      baseline: 'hand-written INSERT … SELECT … GROUP BY email ORDER BY id on PostgreSQL, the same list',
      baselineValue: round(median(theirs), 1),
      ratio: round(ratio),
      target: '≤ 1.5×',
      pass: ratio <= 1.5,
      runs: PREPARE_RUNS,
    });
    await sql.end();
    const server = await repos.customers.count();
    return {
      description: `The PostgreSQL store on ${CUSTOMERS} customers (${server} after the copy), each figure beside the same work written by hand on the same server in the same run: \`segment count\` (the whole core call; medians of ${SEGMENT_RUNS} interleaved runs) and \`campaign prepare\` (the exclusion counts, the frozen INSERT … SELECT, the plan hash as one aggregate over the list on the server; medians of ${PREPARE_RUNS} interleaved runs after a warm-up).`,
      figures,
      notes: [
        ...(imported ? [imported.note] : []),
        `The store was moved up with \`mkt db copy\`: ${copy.total} rows in ${round(copySeconds, 1)} s (${Math.round(copy.total / copySeconds).toLocaleString('en-US')} rows/s, one transaction).`,
        `prepare's plan: ${JSON.stringify({ matched: plan.matched, excluded: plan.excluded, recipients: plan.recipients })}.`,
      ],
      detail: { ...(imported ? { import: imported.detail } : {}), customers: CUSTOMERS, counts, copy: copy.tables, copySeconds: round(copySeconds, 1) },
    };
  } finally {
    await repos?.close();
    ws.remove();
    await target.drop();
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1])) console.log(JSON.stringify(await pgBench(), null, 2));
