// Runs every benchmark in bench/ (files named *.bench.js) in turn and collects their figures
// into bench/results.json. Benchmarks are never part of `npm test`.
import { readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const only = process.argv.slice(2);
const files = readdirSync(here)
  .filter((f) => f.endsWith('.bench.js'))
  .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
  .sort();
const results = { machine: { node: process.version, platform: process.platform, cpus: (await import('node:os')).cpus().length }, date: new Date().toISOString(), benchmarks: {} };
for (const f of files) {
  const mod = await import(path.join(here, f));
  process.stderr.write(`bench: ${f}\n`);
  results.benchmarks[f.replace(/\.bench\.js$/, '')] = await mod.default();
}
writeFileSync(path.join(here, 'results.json'), JSON.stringify(results, null, 2) + '\n');
process.stdout.write(JSON.stringify(results, null, 2) + '\n');
