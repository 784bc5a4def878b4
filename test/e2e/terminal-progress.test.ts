import { afterEach, describe, expect, it } from 'vitest';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';
import { frames, plain, runInPty } from '../support/pty.js';

let ws: SmsWorkspace | undefined;
afterEach(() => ws?.cleanup());

const bars = (screen: string) => frames(screen).filter((l) => /ETA /.test(l));

function prepared(n: number): SmsWorkspace {
  ws?.cleanup();
  ws = smsWorkspace(n);
  ws.cli(['campaign', 'create', '--name', 's', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']);
  ws.cli(['campaign', 'prepare', 's']);
  return ws;
}

describe('the send progress bar in an 80-column terminal', () => {
  it('always shows the rate and ETA, never wraps, and drops the per-sender detail first', () => {
    const w = prepared(40);
    const r = runInPty('$MKT campaign send s --yes --throttle 20/s', { cwd: w.dir });
    expect(r.code).toBe(0);
    const b = bars(r.screen);
    expect(b.length).toBeGreaterThan(1);
    for (const line of b) {
      expect(line.length).toBeLessThanOrEqual(79);
      expect(line).toMatch(/\d+\.\d\/s · ETA \S+/);
    }
    expect(b.at(-1)).toMatch(/100% 40\/40 sent · failed 0 · unknown 0/);
    // the three senders' detail would not fit beside the numbers at 80 columns
    expect(b.join('\n')).not.toContain('+15550000001=');
    // at 160 columns there is room for the sender detail as well
    const wide = prepared(10);
    const r2 = runInPty('$MKT campaign send s --yes --throttle 20/s', { cwd: wide.dir, cols: 160 });
    expect(bars(r2.screen).at(-1)).toMatch(/ETA \S+ · (\+1555000000\d=\d+ ?){3}$/);
  });

  it('Ctrl-C: the notice and the summary start on lines of their own, after the bar is cleared', () => {
    const w = prepared(200);
    const r = runInPty('$MKT campaign send s --yes --throttle 20/s & pid=$!; sleep 2; kill -INT $pid; wait $pid; echo "exit=$?"', { cwd: w.dir, timeoutMs: 30_000 });
    expect(r.screen).toContain('exit=75');
    // the bar line is erased (CR + erase line) right before the notice is written
    expect(r.screen).toMatch(/\r\u001b\[2K(\u001b\[\?25h)?SIGINT: stopping/);
    const lines = frames(r.screen);
    const notice = lines.findIndex((l) => l.startsWith('SIGINT: stopping'));
    expect(notice).toBeGreaterThan(0);
    const summary = lines.findIndex((l) => /^campaign\s+s$/.test(l));
    expect(summary).toBeGreaterThan(notice);
    expect(lines.find((l) => l.startsWith('stopped'))).toMatch(/^stopped\s+interrupted/);
  });

  it('a resumed send counts what earlier runs sent: overall progress, not this run only', () => {
    const w = prepared(30);
    expect(w.cli(['campaign', 'send', 's', '--yes', '--limit', '20']).code).toBe(0);
    const r = runInPty('$MKT campaign send s --yes --throttle 50/s', { cwd: w.dir });
    expect(r.code).toBe(0);
    const b = bars(r.screen);
    expect(b[0]).toMatch(/ 6\d% 2\d\/30 sent/);
    expect(b.at(-1)).toMatch(/100% 30\/30 sent/);
    // the plain lines for logs say both
    const w2 = prepared(30);
    w2.cli(['campaign', 'send', 's', '--yes', '--limit', '20']);
    const logs = w2.cli(['campaign', 'send', 's', '--yes']);
    expect(plain(logs.stderr)).toMatch(/progress: sent 30\/30 \(this run 10\)/);
  });
});
