// Runs every benchmark in bench/ (files named *.bench.js) in turn, each in its own process
// (bench/one.js), and collects their figures
// into bench/results.json, then renders BENCHMARKS.md from it (bench/report.js). Benchmarks are
// never part of `npm test`. `node bench/run.js send prepare` runs only the benches whose file
// names contain one of the words; the other entries of the last results.json are kept.
// MKT_BENCH_OUT=<dir> writes results.json and BENCHMARKS.md there instead.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runBenchInChild } from './child.js';
import { renderReport } from './report.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = process.env.MKT_BENCH_OUT ? path.resolve(process.env.MKT_BENCH_OUT) : undefined;
const resultsFile = path.join(outDir ?? here, 'results.json');
const reportFile = path.join(outDir ?? path.resolve(here, '..'), 'BENCHMARKS.md');

const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
if (files.length === 0) throw new Error(`no bench matches ${only.join(', ')}`);

/** The commit measured: git's, or MKT_BENCH_COMMIT when run from an exported tree. */
function commit() {
  if (process.env.MKT_BENCH_COMMIT) return process.env.MKT_BENCH_COMMIT;
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: here, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' / ');
const previous = only.length && existsSync(resultsFile) ? JSON.parse(readFileSync(resultsFile, 'utf8')) : undefined;
const results = {
  machine: {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} (${process.arch})`,
    node: process.version,
    commit: commit(),
    scale: Number(process.env.MKT_BENCH_SCALE ?? 1),
    loadStart: load(),
  },
  date: new Date().toISOString(),
  benchmarks: { ...(previous?.benchmarks ?? {}) },
};

function write() {
  results.machine.loadEnd = load();
  if (outDir) mkdirSync(outDir, { recursive: true });
  writeFileSync(resultsFile, JSON.stringify(results, null, 2) + '\n');
  writeFileSync(reportFile, renderReport(results) + '\n');
}

let failures = 0;
for (const f of files) {
  const name = f.replace(/\.bench\.js$/, '');
  process.stderr.write(`bench: ${f} (load ${load()})\n`);
  const entry = { ranAt: new Date().toISOString(), load: load() };
  const start = performance.now();
  try {
    entry.result = await runBenchInChild(f);
  } catch (e) {
    // one broken bench must not lose the figures of the others
    failures++;
    entry.error = e instanceof Error ? e.message : String(e);
    process.stderr.write(`bench: ${f} failed: ${e instanceof Error ? e.stack : e}\n`);
  }
  entry.seconds = Math.round((performance.now() - start) / 100) / 10;
  entry.loadEnd = load();
  results.benchmarks[name] = entry;
  // written after every bench, so that an interrupted run keeps what it measured
  write();
}
process.stderr.write(`bench: wrote ${path.relative(process.cwd(), resultsFile)} and ${path.relative(process.cwd(), reportFile)}\n`);
if (failures > 0) process.exitCode = 1;
