// Start-up time of the built CLI: median wall time of `mkt --help` and `mkt customers count`
// against a bare `node -e ''` measured in the same run (ratios), 11 runs each, interleaved
// so that machine load affects all three alike.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const BIN = path.join(ROOT, 'bin', 'mkt.js');
const RUNS = 11;

function timeRun(args, env) {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return performance.now() - start;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export default async function startupBench() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-startup-bench-'));
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, CI: 'true', MKT_DB: path.join(dir, 'mkt.db') };
  try {
    timeRun([BIN, 'customers', 'count'], env); // creates and migrates the store once
    const cases = { node: ['-e', ''], help: [BIN, '--help'], count: [BIN, 'customers', 'count'] };
    const times = { node: [], help: [], count: [] };
    for (let i = 0; i < RUNS; i++) for (const [k, args] of Object.entries(cases)) times[k].push(timeRun(args, env));
    const node = median(times.node);
    const detail = {
      runs: RUNS,
      bare_node_ms: +node.toFixed(1),
      help_ms: +median(times.help).toFixed(1),
      customers_count_ms: +median(times.count).toFixed(1),
      help_ratio_vs_bare_node: +(median(times.help) / node).toFixed(2),
      customers_count_ratio_vs_bare_node: +(median(times.count) / node).toFixed(2),
    };
    const fig = (name, value, ratio) => ({ name, value, unit: 'ms', baseline: "bare `node -e ''`", baselineValue: detail.bare_node_ms, ratio, runs: RUNS });
    return {
      description: `Wall time of the built CLI vs a bare \`node -e ''\`, ${RUNS} interleaved runs each (median).`,
      figures: [fig('`mkt --help`', detail.help_ms, detail.help_ratio_vs_bare_node), fig('`mkt customers count`', detail.customers_count_ms, detail.customers_count_ratio_vs_bare_node)],
      detail,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
