#!/usr/bin/env node
// `npm run test:chaos [-- --seed N] [-- --rounds N] [-- --size N] [-- --iterations N] [-- --only a,b]`:
// the long, seeded chaos run (test/chaos/chaos.test.ts, and the PostgreSQL multi-worker ones in
// test/chaos/pg-workers.test.ts; `npm test` runs the same scenarios short with seed 1). Flags become MKT_CHAOS_* variables; the exit code is vitest's.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const flags = { seed: 'MKT_CHAOS_SEED', rounds: 'MKT_CHAOS_ROUNDS', size: 'MKT_CHAOS_SIZE', iterations: 'MKT_CHAOS_ITERATIONS', only: 'MKT_CHAOS_ONLY' };
// long-run defaults: more crashes, a bigger list, every scenario under three consecutive seeds
const env = { ...process.env, MKT_CHAOS_SEED: String(Date.now() % 100_000), MKT_CHAOS_ROUNDS: '6', MKT_CHAOS_SIZE: '600', MKT_CHAOS_ITERATIONS: '3', MKT_CHAOS_LONG: '1' };
const args = process.argv.slice(2);
for (let i = 0; i < args.length; i++) {
  const m = /^--([a-z]+)(?:=(.*))?$/.exec(args[i]);
  const name = m?.[1];
  if (!m || !(name in flags)) {
    console.error(`chaos: unknown argument ${args[i]} (known: ${Object.keys(flags).map((f) => `--${f}`).join(' ')})`);
    process.exit(64);
  }
  const value = m[2] ?? args[++i];
  if (value === undefined || (name !== 'only' && !/^\d+$/.test(value))) {
    console.error(`chaos: --${name} needs ${name === 'only' ? 'scenario names' : 'a whole number'}`);
    process.exit(64);
  }
  env[flags[name]] = value;
}
console.error(`chaos: seed ${env.MKT_CHAOS_SEED}, ${env.MKT_CHAOS_ROUNDS} rounds, ${env.MKT_CHAOS_SIZE} recipients, ${env.MKT_CHAOS_ITERATIONS} iteration(s)` + (env.MKT_CHAOS_ONLY ? `, only ${env.MKT_CHAOS_ONLY}` : '') + ` — repeat with: npm run test:chaos -- --seed ${env.MKT_CHAOS_SEED}`);
const vitest = fileURLToPath(new URL('../node_modules/vitest/vitest.mjs', import.meta.url));
// test/chaos/pg-workers.test.ts: the multi-worker PostgreSQL scenarios (skipped without a server)
const r = spawnSync(process.execPath, [vitest, 'run', 'test/chaos/chaos.test.ts', 'test/chaos/pg-workers.test.ts'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
