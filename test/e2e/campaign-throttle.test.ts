/**
 * The provider's `rate:` is the account's quota: --throttle can lower a run's pace but never
 * raise it. Through the built CLI, the real twilio SDK and a fake Twilio that stamps every
 * request's arrival, so the pace is measured where the provider would measure it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startFakeTwilio, type FakeTwilio } from '../fakes/twilio.js';
import { runCliAsync } from '../support/cli.js';
import { smsWorkspace, TWILIO_TOKEN, type SmsWorkspace } from '../support/campaign-workspace.js';

let ws: SmsWorkspace | undefined;
let fake: FakeTwilio | undefined;
afterEach(async () => {
  ws?.cleanup();
  await fake?.close();
  ws = fake = undefined;
});

/** The most send requests that arrived within any one-second window. */
function busiestSecond(f: FakeTwilio): number {
  const times = f.requests.filter((r) => r.op === 'send').map((r) => r.at).sort((a, b) => a - b);
  let worst = 0;
  for (let i = 0, j = 0; i < times.length; i++) {
    while (times[i]! - times[j]! >= 1000) j++;
    worst = Math.max(worst, i - j + 1);
  }
  return worst;
}

/** A prepared campaign `c` of `n` SMS on Twilio provider `tw` of `rate:`; sends it with `--throttle`. */
async function throttledSend(n: number, rate: string, throttle: string) {
  fake = await startFakeTwilio({ seed: 1, authToken: TWILIO_TOKEN });
  ws = smsWorkspace(n, { twilioUrl: fake.url, rate, concurrency: 8 });
  expect(ws.cli(['campaign', 'create', '--name', 'c', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'tw', '--template', 'hello']).code).toBe(0);
  expect(ws.cli(['campaign', 'prepare', 'c']).code).toBe(0);
  const r = await runCliAsync(['campaign', 'send', 'c', '--yes', '--json', '--throttle', throttle], { cwd: ws.dir, env: ws.env, timeoutMs: 60_000 });
  expect(r.code, r.stderr).toBe(0);
  return { r, summary: JSON.parse(r.stdout), ws, fake };
}

describe('--throttle above the provider rate', { timeout: 120_000 }, () => {
  it('is capped at the provider rate: no one-second window of arrivals above 20, a warning on stderr and in --json', async () => {
    const { r, summary, ws, fake } = await throttledSend(60, '20/s', '500/s');
    expect(summary).toMatchObject({ sent: 60, failed: 0, unknown: 0 });
    expect(fake.requests.filter((q) => q.op === 'send')).toHaveLength(60);
    // the bucket lets at most one token of burst beyond the rate
    expect(busiestSecond(fake)).toBeLessThanOrEqual(21);
    expect(summary.rate_per_s).toBeLessThanOrEqual(21);
    const warning = `--throttle 500/s is above provider "tw"'s rate: 20/s (the account's quota): sending at 20/s`;
    expect(summary.warnings).toEqual([{ code: 'throttle_capped', message: warning }]);
    expect(r.stderr).toContain(`warning: throttle_capped: ${warning}`);

    // a dry run tells the same before anything is sent
    const dry = ws.cli(['campaign', 'send', 'c', '--dry-run', '--throttle', '500/s', '--json']);
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout).warnings).toEqual([{ code: 'throttle_capped', message: warning }]);
  });

  it('a throttle below the provider rate is the pace, without a warning', async () => {
    const { r, summary, fake } = await throttledSend(20, '2000/s', '10/s');
    expect(summary).toMatchObject({ sent: 20 });
    expect(summary.warnings).toBeUndefined();
    expect(r.stderr).not.toContain('throttle_capped');
    expect(busiestSecond(fake)).toBeLessThanOrEqual(11);
  });
});
