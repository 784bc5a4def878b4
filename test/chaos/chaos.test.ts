/**
 * The chaos suite through the built CLI. `npm test` runs it short with a fixed seed;
 * `npm run test:chaos [-- --seed N] [-- --rounds N] [-- --size N]` runs it long (scripts/chaos.mjs
 * passes those as MKT_CHAOS_SEED / MKT_CHAOS_ROUNDS / MKT_CHAOS_SIZE; MKT_CHAOS_ONLY=<name> runs
 * one scenario). Each scenario's report line is printed; a failure names scenario and seed.
 */
import { describe, expect, it } from 'vitest';
import { problems, summaryLine } from './checker.js';
import { SCENARIOS } from './scenarios.js';

const env = process.env;
const seed = Number(env.MKT_CHAOS_SEED ?? 1);
const rounds = Number(env.MKT_CHAOS_ROUNDS ?? 2);
const n = Number(env.MKT_CHAOS_SIZE ?? 80);
const iterations = Number(env.MKT_CHAOS_ITERATIONS ?? 1);
const only = env.MKT_CHAOS_ONLY?.split(',');

describe(`chaos (seed ${seed}, ${rounds} rounds, ${n} recipients)`, { timeout: 600_000 }, () => {
  for (const scenario of SCENARIOS.filter((s) => !only || only.includes(s.name))) {
    it(`${scenario.name}: 0 duplicated, 0 lost, unknown within what was in flight`, async () => {
      for (let i = 0; i < iterations; i++) {
        const report = await scenario.run({ seed: seed + i, rounds, n });
        console.log(summaryLine(report));
        expect(problems(report)).toEqual([]);
      }
    });
  }
});
