// By hand, not part of `npm run bench`: where a PostgreSQL `customers import` spends its time.
// `node bench/pg-import-phases.js FILE.csv [reader|import|all]` (after `npm run build`): the
// reader alone (in one thread, then through the worker thread), then one import into a fresh
// database (./pg-database.js) with every statement over 20 ms and when it ended. EXPLAIN=<regex>
// prints EXPLAIN (ANALYZE, BUFFERS) of the statement it matches instead of running it (the
// import then fails or miscounts after it: a profile only).
import { performance } from 'node:perf_hooks';
import pg from 'pg';
const ROOT = process.env.ROOT ?? new URL('..', import.meta.url).pathname.replace(/\/$/, '');
const { openPrepared } = await import(`${ROOT}/dist/customers/import/prepared.js`);
const { openReader } = await import(`${ROOT}/dist/customers/import/reader.js`);
const { importCustomers } = await import(`${ROOT}/dist/customers/import/index.js`);
const { openRepositories } = await import(`${ROOT}/dist/db/connect.js`);
const { benchDatabase } = await import(`./pg-database.js`);
const [csv, what = 'all'] = process.argv.slice(2);
const t = () => performance.now();
if (what === 'all' || what === 'reader') {
  let s = t(), n = 0;
  const src = await openPrepared({ file: csv, format: 'csv' });
  for await (const b of src.batches) n += b.lines.length;
  console.log(`reader in-thread: ${n} rows ${((t() - s) / 1000).toFixed(2)} s = ${Math.round(n / ((t() - s) / 1000))} rows/s`);
  s = t(); n = 0;
  const w = await openReader({ file: csv, format: 'csv' });
  for await (const b of w.batches) n += b.lines.length;
  console.log(`reader worker: ${n} rows ${((t() - s) / 1000).toFixed(2)} s = ${Math.round(n / ((t() - s) / 1000))} rows/s`);
}
if (what === 'all' || what === 'import') {
  const db = await benchDatabase();
  try {
    const orig = pg.Client.prototype.query;
    const log = [];
    pg.Client.prototype.query = function (q, ...rest) {
      const text = typeof q === 'string' ? q : q?.text;
      const s = t();
      if (process.env.EXPLAIN && text && new RegExp(process.env.EXPLAIN).test(text)) {
        const et = 'EXPLAIN (ANALYZE, BUFFERS, VERBOSE off) ' + text;
        return orig.call(this, typeof q === 'string' ? et : { ...q, text: et, rowMode: undefined }, ...rest).then((r) => { console.log(r.rows.map((x) => x['QUERY PLAN']).join('\n')); return { rowCount: 0, rows: [{ n: 0 }] }; });
      }
      const r = orig.call(this, q, ...rest);
      if (text && r && typeof r.then === 'function') r.then(() => log.push([text.replace(/\s+/g, ' ').slice(0, 90), t() - s, t()]), () => {});
      else if (!text && r && r.on) { r.on('finish', () => log.push(['COPY stream ' + (q.text ?? ''), t() - s, t()])); }
      return r;
    };
    const s0 = t();
    const repos = await openRepositories({ kind: 'postgres', url: db.url });
    const s = t();
    const res = await importCustomers(repos.imports ?? repos, { file: csv, now: new Date() });
    console.log(`import total ${((t() - s) / 1000).toFixed(2)} s`, JSON.stringify({ ...res, rejects: undefined, warning_samples: res.warning_samples.slice(0, 2) }));
    for (const [q, ms, end] of log) if (ms > 20) console.log(`  end@${((end - s0)/1000).toFixed(2)}s ${ms.toFixed(0).padStart(7)} ms  ${q}`);
    await repos.close?.();
  } finally { await db.drop(); }
}
