// By hand, not part of `npm run bench`: `node bench/pg-import-ab.js FILE.csv RUNS BUILD...`
// runs `customers import` of one CSV with each build (a folder with bin/, dist/, drizzle/ and
// node_modules/), interleaved, into one fresh database (./pg-database.js) emptied before each
// run, and prints the wall time, the CPU of the mkt process (/usr/bin/time) and of its
// PostgreSQL backends (from /proc, polled): on a loaded machine the CPU times are the steady
// figures.
import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { benchDatabase } from './pg-database.js';
const [csv, runs, ...roots] = process.argv.slice(2);
const db = await benchDatabase();
const sql = new pg.Client({ connectionString: db.url });
await sql.connect();
try {
  execFileSync('node', [`${roots[0]}/bin/mkt.js`, 'db', 'migrate'], { env: { ...process.env, MKT_DB: db.url } });
  const cpu = {};
  const pgc = {};
  const times = Object.fromEntries(roots.map((r) => [r, []]));
  for (let i = 0; i < Number(runs); i++) {
    for (const r of roots) {
      await sql.query('TRUNCATE customers RESTART IDENTITY');
      await sql.query('CHECKPOINT').catch(() => {});
      const s = performance.now();
      const dbName = new URL(db.url).pathname.slice(1);
      const seen = new Map();
      const poll = () => {
        for (const pid of readdirSync('/proc')) {
          if (!/^\d+$/.test(pid)) continue;
          try {
            const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
            if (!cmd.includes(dbName) || cmd.includes('node')) continue;
            const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
            seen.set(pid, (Number(f[11]) + Number(f[12])) / 100);
          } catch {}
        }
      };
      const timer = setInterval(poll, 50);
      const p = await new Promise((resolve) => {
        const c = spawn('/usr/bin/time', ['-f', '%U %S', 'node', `${r}/bin/mkt.js`, 'customers', 'import', csv, '--json'], { env: { ...process.env, MKT_DB: db.url } });
        let stdout = '', stderr = '';
        c.stdout.on('data', (d) => (stdout += d));
        c.stderr.on('data', (d) => (stderr += d));
        c.on('close', () => resolve({ stdout, stderr }));
      });
      clearInterval(timer);
      const t = (performance.now() - s) / 1000;
      const [u, sy] = p.stderr.trim().split('\n').pop().split(' ').map(Number);
      const pgcpu = [...seen.values()].reduce((a, b) => a + b, 0);
      (pgc[r] ??= []).push(pgcpu);
      times[r].push(t);
      (cpu[r] ??= []).push(u + sy);
      const j = JSON.parse(p.stdout);
      times[r].push(t);
      (cpu[r] ??= []).push(u + sy);
      console.log(`${r}: ${t.toFixed(2)} s cpu ${(u + sy).toFixed(2)} s pg cpu ${pgcpu.toFixed(2)} s inserted ${j.inserted} load ${os.loadavg()[0].toFixed(2)}`);
    }
  }
  const med = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)].toFixed(2);
  for (const r of roots) console.log(r, 'median cpu', med(cpu[r]), 'pg', med(pgc[r]));
  for (const r of roots) console.log(r, 'median', times[r].sort((a, b) => a - b)[Math.floor(times[r].length / 2)].toFixed(2));
} finally { await sql.end(); await db.drop(); }
