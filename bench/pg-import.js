// pg.bench.js's `customers import` case (issue 14: ≥ 0.5× a bare COPY of the same rows): the
// built CLI imports a generated CSV into an empty PostgreSQL customers table (read and
// normalised on the worker thread, COPY into the staging table, the set-based upsert), vs two
// bare COPYs of the same rows' values (no parsing or normalisation, no identity checks): into a
// plain table (no indexes, no constraints), and into the real, empty customers table (its
// identity ids, indexes and constraints: what loading the values with psql's \copy costs);
// each in its own process, interleaved, medians, one figure per baseline. Rows:
// MKT_BENCH_PG_IMPORT_ROWS, else 1,000,000 × MKT_BENCH_SCALE.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { measure } from './child.js';
import { writeCsv } from './import-data.js';
import { median, round, scaled } from './workspace.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const TMP = path.join(HERE, 'tmp');
const ROWS = Number(process.env.MKT_BENCH_PG_IMPORT_ROWS ?? scaled(1_000_000, 1000));
const RUNS = 3;

const COLUMNS = 'external_id, email, phone, first_name, last_name, country, lifetime_value, order_count, last_order_at, email_opt_in, sms_opt_in, attributes, created_at, updated_at';
const PLAIN_TABLE = `CREATE TABLE bare_customers (external_id text, email text, phone text, first_name text, last_name text, country text,
  lifetime_value double precision, order_count integer, last_order_at bigint, email_opt_in boolean, sms_opt_in boolean, attributes jsonb,
  created_at bigint, updated_at bigint)`;

// the same values as import.bench.js's bare SQLite insert, sent as one COPY in 1 MB chunks
const BASELINE = `
import { once } from 'node:events';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { row } from './import-data.js';
const [url, n, table] = process.argv.slice(-3);
const client = new pg.Client({ connectionString: url });
await client.connect();
const now = Date.now();
const stream = client.query(copyFrom(\`COPY \${table} (${COLUMNS}) FROM STDIN\`));
const done = new Promise((resolve, reject) => { stream.on('finish', resolve); stream.on('error', reject); });
let block = '';
for (let i = 1; i <= Number(n); i++) {
  const c = row(i).split(',');
  block += [c[0], c[1], c[2], c[3], c[4], c[5], Number(c[6]), Number(c[7]), c[8] ? Date.parse(c[8]) : '\\\\N', c[9] === 'yes' ? 't' : 'f', c[10] ? 't' : 'f',
    JSON.stringify({ plan: c[11], score: Number(c[12]) }), now, now].join('\\t') + '\\n';
  if (block.length > 1 << 20) {
    if (!stream.write(block)) await once(stream, 'drain');
    block = '';
  }
}
stream.end(block);
await done;
await client.end();
`;

export async function pgImportCase(url) {
  mkdirSync(TMP, { recursive: true });
  const csv = path.join(TMP, `customers-${ROWS}.csv`);
  if (!existsSync(csv)) await writeCsv(csv, ROWS);
  const script = path.join(TMP, 'baseline-copy.mjs');
  writeFileSync(script, BASELINE.replaceAll("'./import-data.js'", `'${HERE}/import-data.js'`).replaceAll("'pg-copy-streams'", `'${ROOT}/node_modules/pg-copy-streams/index.js'`));

  const sql = new pg.Client({ connectionString: url });
  await sql.connect();
  try {
    const empty = async () => {
      await sql.query('TRUNCATE customers RESTART IDENTITY');
      await sql.query('TRUNCATE bare_customers');
      await sql.query('CHECKPOINT').catch(() => {}); // not every role may; then the runs simply share the WAL's state
    };
    // the store's schema first (the CLI migrates on open), then the plain table beside it
    await measure([path.join(ROOT, 'bin/mkt.js'), 'db', 'migrate'], { MKT_DB: url });
    await sql.query(PLAIN_TABLE);
    const mine = [];
    const bare = [];
    const real = [];
    let result;
    for (let i = 0; i < RUNS; i++) {
      await empty();
      const r = await measure([path.join(ROOT, 'bin/mkt.js'), 'customers', 'import', csv, '--json'], { MKT_DB: url });
      result = JSON.parse(r.stdout);
      if (result.inserted !== ROWS || result.rejected !== 0) throw new Error(`unexpected import result ${JSON.stringify(result).slice(0, 300)}`);
      mine.push(r.seconds);
      for (const [table, times] of [
        ['bare_customers', bare],
        ['customers', real],
      ]) {
        await empty();
        times.push((await measure([script, url, String(ROWS), table])).seconds);
        const copied = Number((await sql.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
        if (copied !== ROWS) throw new Error(`the bare COPY stored ${copied} rows in ${table}, not ${ROWS}`);
      }
    }
    await empty();
    await sql.query('DROP TABLE bare_customers');
    const rate = ROWS / median(mine);
    const figure = (against, baseline, seconds) => {
      const baselineRate = ROWS / median(seconds);
      const ratio = rate / baselineRate;
      return {
        name: `PostgreSQL customers import via COPY (${ROWS} rows), vs a bare COPY into ${against}`,
        value: Math.round(rate),
        unit: 'rows/s',
        baseline,
        baselineValue: Math.round(baselineRate),
        ratio: round(ratio),
        target: '≥ 0.5×',
        pass: ratio >= 0.5,
        runs: RUNS,
      };
    };
    const s = (times) => `${round(median(times), 2)} s`;
    return {
      figures: [
        figure('a plain table', 'a bare COPY of the same rows into a plain table (no indexes, no constraints)', bare),
        figure('the real customers table', 'a bare COPY of the same rows into the real, empty customers table (its indexes and constraints)', real),
      ],
      note:
        `customers import on PostgreSQL: ${ROWS} CSV rows through the built CLI in ${s(mine)} (the whole command: the process starting, reading, parsing and normalising every row on the worker thread, ` +
        `COPY into the staging table, resolving identities against the stored customers, the set-based upsert into the customers table with its indexes, the commit) ` +
        `vs two bare COPYs of the same rows' values, already typed (no parsing or normalisation, no identity checks), one process each with the values generated in it: ` +
        `into a plain table with no indexes or constraints in ${s(bare)}, and into the real, empty customers table (identity ids, the primary key, the unique external id, the email and phone indexes, NOT NULL and the defaults; ` +
        `as a DBA would load it with psql's \\copy) in ${s(real)} (medians of ${RUNS} interleaved runs).`,
      detail: { rows: ROWS, import_seconds: mine.map((x) => round(x, 2)), bare_copy_seconds: bare.map((x) => round(x, 2)), customers_copy_seconds: real.map((x) => round(x, 2)) },
    };
  } finally {
    await sql.end();
  }
}
