// The benchmark machinery works: the bench SES stub speaks SendEmail to the real SDK and counts
// what it accepted, the throttle windows are computed right, and `bench/run.js` runs the send
// and prepare benches end to end at a tiny scale and renders a report from their figures. No
// timing is asserted here: figures belong in BENCHMARKS.md, not in tests.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/cli.js';

// bench/ is plain JavaScript without type declarations: load it untyped
const benchModule = (name: string) => import(pathToFileURL(path.join(ROOT, 'bench', name)).href);

const out = mkdtempSync(path.join(os.tmpdir(), 'mkt-bench-test-'));
afterAll(() => rmSync(out, { recursive: true, force: true }));

interface Figure {
  name: string;
  value: number;
  unit: string;
  baseline: string;
  baselineValue: number;
  ratio: number;
  target?: string;
  pass?: boolean;
}

describe('bench', () => {
  it('the SES stub answers SendEmail from the real SDK and counts what it accepted', async () => {
    const stub = await (await benchModule('ses-stub.js')).spawnSesStub();
    try {
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
      const { SESv2Client, SendEmailCommand } = await import('@aws-sdk/client-sesv2');
      const client = new SESv2Client({ endpoint: stub.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'x' }, maxAttempts: 1 });
      const send = (to: string) =>
        client.send(new SendEmailCommand({ FromEmailAddress: 'a@b.example', Destination: { ToAddresses: [to] }, Content: { Simple: { Subject: { Data: 's' }, Body: { Text: { Data: 'x'.repeat(5000) } } } } }));
      const ids = await Promise.all(['a@x.example', 'b@x.example', 'c@x.example'].map(send));
      client.destroy();
      expect(new Set(ids.map((r) => r.MessageId)).size).toBe(3);
      const stats = await stub.stats(true);
      expect(stats.count).toBe(3);
      expect(stats.times).toHaveLength(3);
      expect(stats.bytes).toBeGreaterThan(3 * 5000);
      await stub.reset();
      expect((await stub.stats()).count).toBe(0);
    } finally {
      await stub.close();
    }
  });

  it('throttle windows: full 1-second windows from the first request, the busiest sliding window, the mean', async () => {
    const { windowRates } = await benchModule('send.bench.js');
    // 200/s for 3 s, then a burst of 10 extra requests inside the second window
    const times = Array.from({ length: 601 }, (_, i) => 1000 + i * 5);
    times.push(...Array.from({ length: 10 }, (_, i) => 2500 + i * 0.1));
    times.sort((a, b) => a - b);
    const w = windowRates(times);
    expect(w.counts).toEqual([200, 210, 200]);
    expect(w.slidingMax).toBe(210);
    expect(w.mean).toBeCloseTo((610 * 1000) / 3000, 6);
  });

  it('`bench/run.js send prepare` at a tiny scale writes results.json and a BENCHMARKS.md table of every figure', () => {
    // the throttle part waits a fixed 2 s even at this scale; windowRates is checked above
    const r = spawnSync(process.execPath, ['--expose-gc', 'bench/run.js', 'send', 'prepare'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, MKT_BENCH_SCALE: '0.001', MKT_BENCH_OUT: out, MKT_BENCH_SEND_ONLY: 'throughput,zero,rss', MKT_BENCH_RSS_BIG: '100' },
      encoding: 'utf8',
      timeout: 170_000,
    });
    expect(r.stderr).not.toMatch(/failed/);
    expect(r.status).toBe(0);
    const results = JSON.parse(readFileSync(path.join(out, 'results.json'), 'utf8'));
    expect(Object.keys(results.benchmarks).sort()).toEqual(['prepare', 'send']);
    expect(results.machine).toMatchObject({ cores: os.cpus().length, node: process.version, scale: 0.001 });
    const report = readFileSync(path.join(out, 'BENCHMARKS.md'), 'utf8');
    const figures: Figure[] = [...results.benchmarks.send.result.figures, ...results.benchmarks.prepare.result.figures];
    // send: throughput ×3, zero-latency, RSS; prepare: one
    expect(figures).toHaveLength(6);
    for (const f of figures) {
      expect(f.value).toBeGreaterThan(0);
      expect(f.baselineValue).toBeGreaterThan(0);
      // ratio = value ÷ baseline value, up to the rounding of the shown values
      expect(Math.abs(f.ratio * f.baselineValue - f.value), JSON.stringify(f)).toBeLessThanOrEqual(0.01 * f.value + 0.05 * f.ratio + 0.1);
      expect(report).toContain(`| ${f.name.replaceAll('|', '\\|')}`);
      if (f.target) expect(typeof f.pass).toBe('boolean');
    }
    expect(report).toMatch(/\| Node \| v\d+/);
    expect(report).toContain('scaled by 0.001');
  }, 180_000);
});
