// `mkt customers import` of a generated 1,000,000-row CSV through the built CLI (a spawned
// process, as a user runs it): rows/s and peak RSS. Baseline, same run: a bare better-sqlite3
// prepared INSERT of the same rows into the same schema (one transaction, no parsing, no
// normalisation, no identity lookups), also in its own process. A 100,000-row import shows
// whether memory stays flat as the file grows.
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measure } from './child.js';
import { writeCsv } from './import-data.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const TMP = path.join(HERE, 'tmp');
const ROWS = Number(process.env.IMPORT_BENCH_ROWS ?? Math.max(1000, Math.round(1_000_000 * Number(process.env.MKT_BENCH_SCALE ?? 1))));

const BASELINE = `
import { openStore } from '../dist/db/open.js';
import { row } from './import-data.js';
const [db, n] = process.argv.slice(-2);
const store = openStore(db);
const cols = ['external_id','email','phone','first_name','last_name','country','lifetime_value','order_count','last_order_at','email_opt_in','sms_opt_in','attributes','created_at','updated_at'];
const insert = store.sqlite.prepare('INSERT INTO customers (' + cols + ') VALUES (' + cols.map(() => '?') + ')');
const now = Date.now();
store.sqlite.transaction(() => {
  for (let i = 1; i <= Number(n); i++) {
    const c = row(i).split(',');
    insert.run(c[0], c[1], c[2], c[3], c[4], c[5], Number(c[6]), Number(c[7]), c[8] ? Date.parse(c[8]) : null, c[9] === 'yes' ? 1 : 0, c[10] ? 1 : 0, JSON.stringify({ plan: c[11], score: Number(c[12]) }), now, now);
  }
})();
store.close();
`;

function freshDb(name) {
  const db = path.join(TMP, name);
  for (const f of [db, db + '-wal', db + '-shm']) rmSync(f, { force: true });
  return db;
}

async function importOnce(csv, dbName) {
  const db = freshDb(dbName);
  const r = await measure([path.join(ROOT, 'bin/mkt.js'), '--db', db, 'customers', 'import', csv, '--json']);
  const result = JSON.parse(r.stdout);
  freshDb(dbName);
  return { ...r, result };
}

export default async function importBench() {
  mkdirSync(TMP, { recursive: true });
  const big = path.join(TMP, `customers-${ROWS}.csv`);
  const small = path.join(TMP, `customers-${ROWS / 10}.csv`);
  if (!existsSync(big)) await writeCsv(big, ROWS);
  if (!existsSync(small)) await writeCsv(small, ROWS / 10);

  const baselineDb = freshDb('baseline.db');
  const script = path.join(TMP, 'baseline-insert.mjs');
  (await import('node:fs')).writeFileSync(script, BASELINE.replaceAll("'../dist/", `'${ROOT}/dist/`).replaceAll("'./import-data.js'", `'${HERE}/import-data.js'`));
  const baseline = await measure([script, baselineDb, String(ROWS)]);
  freshDb('baseline.db');

  const smallRun = await importOnce(small, 'import-small.db');
  const bigRun = await importOnce(big, 'import.db');
  if (bigRun.result.inserted !== ROWS || bigRun.result.rejected !== 0) throw new Error(`unexpected import result ${JSON.stringify(bigRun.result).slice(0, 300)}`);

  const importRate = ROWS / bigRun.seconds;
  const baselineRate = ROWS / baseline.seconds;
  const detail = {
    rows: ROWS,
    csv_mb: Math.round(statSync(big).size / 1e6),
    import_seconds: +bigRun.seconds.toFixed(1),
    import_rows_per_s: Math.round(importRate),
    baseline_rows_per_s: Math.round(baselineRate),
    rows_per_s_ratio_vs_bare_insert: +(importRate / baselineRate).toFixed(3),
    import_peak_rss_mb: bigRun.peakMb,
    baseline_peak_rss_mb: baseline.peakMb,
    peak_rss_ratio_vs_bare_insert: +(bigRun.peakMb / baseline.peakMb).toFixed(2),
    import_peak_rss_mb_at_tenth: smallRun.peakMb,
    // flat memory: ten times the rows should not need much more memory
    peak_rss_ratio_1m_vs_100k: +(bigRun.peakMb / smallRun.peakMb).toFixed(2),
  };
  const fig = (name, value, unit, baseline, baselineValue, ratio) => ({ name, value, unit, baseline, baselineValue, ratio });
  return {
    description: `\`mkt customers import\` of a generated ${ROWS}-row CSV through the built CLI vs a bare better-sqlite3 prepared INSERT of the same rows (no parsing or normalisation), each in its own process; one run.`,
    figures: [
      fig('import rows/s', detail.import_rows_per_s, 'rows/s', 'bare prepared INSERT', detail.baseline_rows_per_s, detail.rows_per_s_ratio_vs_bare_insert),
      fig('import peak RSS', detail.import_peak_rss_mb, 'MB', 'bare prepared INSERT', detail.baseline_peak_rss_mb, detail.peak_rss_ratio_vs_bare_insert),
      fig(`import peak RSS, ${ROWS} rows`, detail.import_peak_rss_mb, 'MB', `the same import of ${ROWS / 10} rows`, detail.import_peak_rss_mb_at_tenth, detail.peak_rss_ratio_1m_vs_100k),
    ],
    detail,
  };
}
