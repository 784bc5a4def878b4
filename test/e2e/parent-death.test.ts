/**
 * When mkt's parent dies (npx or a CI shell killed with -9, which cannot pass a signal on), a
 * running send stops as it would on SIGTERM: no new messages, in-flight ones recorded, the
 * campaign paused, exit 75 (the stderr error is `interrupted`, a ResumableStop), and no
 * orphan goes on sending in the background. A resume then finishes with no duplicate.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startFakeSes, type FakeSes } from '../fakes/ses.js';
import { check } from '../chaos/checker.js';
import { chaosWorkspace, SES_KEY, type ChaosWorkspace } from '../chaos/workspace.js';
import { BIN, cliEnv } from '../support/cli.js';

const N = 300;
let fake: FakeSes | undefined;
let ws: ChaosWorkspace | undefined;
afterAll(async () => {
  ws?.cleanup();
  await fake?.close();
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) return false;
    await wait(20);
  }
  return true;
}

/** Running and not a zombie (an orphan's zombie lingers if pid 1 does not reap). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  return !existsSync(stat) || !/^\d+ \(.*\) Z/.test(readFileSync(stat, 'utf8'));
}

describe('the parent of a running send dies', () => {
  it('the send stops by itself: paused, interrupted, nothing left sending, no duplicate after resume', async () => {
    fake = await startFakeSes({ seed: 3, accessKeyId: SES_KEY });
    // paced: a whole run would take ~12 s, far longer than the few seconds allowed to stop
    ws = chaosWorkspace({ channel: 'email', n: N, url: fake.url, concurrency: 2, rate: '25/s' });
    const out = path.join(ws.dir, 'send.out');
    const err = path.join(ws.dir, 'send.err');
    // the intermediate parent, as npx would be: starts mkt, says its pid, then waits forever
    const wrapper = spawn(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process'); const fs = require('node:fs');
         const c = spawn(process.execPath, ${JSON.stringify([BIN, 'campaign', 'send', 'c', '--yes', '--json'])},
           { stdio: ['ignore', fs.openSync(${JSON.stringify(out)}, 'w'), fs.openSync(${JSON.stringify(err)}, 'w')] });
         process.stdout.write(c.pid + '\\n'); setInterval(() => {}, 60000);`,
      ],
      { cwd: ws.dir, env: cliEnv(ws.env), stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let said = '';
    wrapper.stdout.on('data', (d) => (said += d));
    try {
      expect(await until(() => said.includes('\n'), 10_000)).toBe(true);
      const pid = Number(said.trim());
      expect(await until(() => fake!.receipts.length >= 20, 30_000)).toBe(true);

      wrapper.kill('SIGKILL');
      const stoppedAlone = await until(() => !alive(pid), 6_000);
      if (!stoppedAlone) process.kill(pid, 'SIGKILL'); // do not leave it running after a failure
      expect(stoppedAlone).toBe(true);

      const stopped = fake.receipts.length;
      expect(stopped).toBeLessThan(N);
      await wait(1500);
      expect(fake.receipts.length).toBe(stopped); // nothing goes on sending in the background
      const stderr = readFileSync(err, 'utf8');
      expect(stderr).toContain('"code":"interrupted"');
      expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
      expect(ws.query<{ state: string }>('SELECT state FROM campaigns')[0]!.state).toBe('paused');
      expect(ws.states().sending ?? 0).toBe(0);
    } finally {
      if (wrapper.exitCode === null && wrapper.signalCode === null) wrapper.kill('SIGKILL');
    }

    // the resume sends the rest, each address exactly once
    const resumed = await ws.send();
    expect(resumed.code).toBe(0);
    const rep = check('parent-death', 3, fake.receipts.map((r) => (r as { to: string[] }).to[0]!), ws.query('SELECT address, state FROM campaign_recipients'), 0);
    expect({ duplicated: rep.duplicated, lost: rep.lost, unknown: rep.unknown, unexpected: rep.unexpected, received: rep.received }).toEqual({ duplicated: [], lost: [], unknown: [], unexpected: [], received: N });
  });
});
