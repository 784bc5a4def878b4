// `segment count` on 1,000,000 seeded customers, side by side with the same filter written by
// hand and run directly on better-sqlite3. Each figure is the median of several interleaved
// runs; `ratio` = mkt / hand-written (target ≤ 1.5). The mkt side is the whole core call:
// reading and parsing the YAML files, resolving references, compiling, preparing, counting.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { openStore } from '../dist/db/open.js';
import { sqliteRepositories } from '../dist/db/sqlite-repositories.js';
import { seedCustomers } from '../dist/customers/seed.js';
import { countSegment } from '../dist/segments/index.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CUSTOMERS = Number(process.env.BENCH_SEGMENT_CUSTOMERS ?? Math.max(1000, Math.round(1_000_000 * Number(process.env.MKT_BENCH_SCALE ?? 1))));
const RUNS = 7;
const NOW = new Date('2026-01-15T12:00:00Z');
const DAY = 86_400_000;

/** The repo's sample segments and what a person would write for each. */
const CASES = [
  {
    segment: 'recent-buyers',
    sql: 'SELECT count(*) AS n FROM customers WHERE last_order_at >= ?',
    params: [NOW.getTime() - 30 * DAY],
  },
  {
    segment: 'sms-optin-eu',
    sql: "SELECT count(*) AS n FROM customers WHERE sms_opt_in = 1 AND phone IS NOT NULL AND country IN ('DE', 'AT', 'FR', 'ES', 'IT', 'NL')",
    params: [],
  },
  {
    segment: 'high-value-dach',
    sql: `SELECT count(*) AS n FROM customers
          WHERE lifetime_value > 500 AND country IN ('DE', 'AT', 'CH')
            AND (last_order_at >= ? OR order_count >= 10)
            AND json_extract(attributes, '$.plan') = 'pro'
            AND NOT (order_count >= 1 AND last_order_at < ?)`,
    params: [NOW.getTime() - 90 * DAY, NOW.getTime() - 180 * DAY],
  },
];

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};
const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;

export default async function bench() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-bench-segments-'));
  const store = openStore(path.join(dir, 'mkt.db'));
  try {
    const t0 = performance.now();
    seedCustomers(store, { count: CUSTOMERS, seed: 1, now: NOW });
    const seedSeconds = round((performance.now() - t0) / 1000, 1);
    store.sqlite.pragma('optimize');

    const segments = {};
    const repos = sqliteRepositories(store);
    let worst = 0;
    for (const c of CASES) {
      // warm the page cache once for both sides
      store.sqlite.prepare(c.sql).get(...c.params);
      const mine = [];
      const hand = [];
      let mineCount = -1;
      let handCount = -1;
      for (let i = 0; i < RUNS; i++) {
        let t = performance.now();
        mineCount = (await countSegment(repos.segments, ROOT, c.segment, NOW)).count;
        mine.push(performance.now() - t);
        t = performance.now();
        handCount = store.sqlite.prepare(c.sql).get(...c.params).n;
        hand.push(performance.now() - t);
      }
      if (mineCount !== handCount) throw new Error(`${c.segment}: mkt counted ${mineCount}, the hand-written SQL ${handCount}`);
      const ratio = median(mine) / median(hand);
      worst = Math.max(worst, ratio);
      segments[c.segment] = { count: mineCount, mkt_ms: round(median(mine)), sql_ms: round(median(hand)), ratio: round(ratio) };
    }
    return {
      description: `\`segment count\` (the whole core call: read, compile, prepare, count) on ${CUSTOMERS} seeded customers vs the same filter written by hand on better-sqlite3; medians of ${RUNS} interleaved runs.`,
      figures: Object.entries(segments).map(([name, s]) => ({
        name: `segment count ${name} (${s.count} customers)`,
        value: s.mkt_ms,
        unit: 'ms',
        baseline: 'hand-written SQL',
        baselineValue: s.sql_ms,
        ratio: s.ratio,
        target: '≤ 1.5×',
        pass: s.ratio <= 1.5,
        runs: RUNS,
      })),
      detail: { customers: CUSTOMERS, seedSeconds, runs: RUNS, segments, worstRatio: round(worst), target: 1.5 },
    };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
