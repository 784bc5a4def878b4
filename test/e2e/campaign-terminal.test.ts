import { afterEach, describe, expect, it } from 'vitest';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';
import { plain, runInPty } from '../support/pty.js';

let ws: SmsWorkspace | undefined;
afterEach(() => ws?.cleanup());

function sent(n: number, opts: { limit?: number } = {}): SmsWorkspace {
  ws = smsWorkspace(n);
  ws.cli(['campaign', 'create', '--name', 'spring', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']);
  ws.cli(['campaign', 'prepare', 'spring']);
  ws.cli(['campaign', 'send', 'spring', '--yes', ...(opts.limit ? ['--limit', String(opts.limit)] : [])]);
  return ws;
}

const GREEN = '\u001b[32m';

describe('campaign show', () => {
  it('prints the plan as readable fields; --json keeps the document', () => {
    const w = sent(3);
    const r = w.cli(['campaign', 'show', 'spring']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain('{');
    expect(r.stdout).toMatch(/^segment\s+all-sms$/m);
    expect(r.stdout).toMatch(/^plan: recipients\s+3$/m);
    expect(r.stdout).toMatch(/^plan: senders\s+\+15550000001: 1; /m);
    expect(JSON.parse(w.cli(['campaign', 'show', 'spring', '--json']).stdout)).toMatchObject({ name: 'spring', plan: { recipients: 3 } });
  });

  it('suggests the closest campaign and template name', () => {
    const w = sent(1);
    expect(w.cli(['campaign', 'show', 'sprng']).stderr).toContain('no campaign named "sprng" (did you mean "spring"?)');
    expect(w.cli(['template', 'render', 'helo', '--data', 'x.json']).stderr).toContain('(did you mean "hello"?)');
  });
});

describe('campaign report', () => {
  it('--state and --limit choose the rows', () => {
    const w = sent(5, { limit: 2 });
    const pending = w.cli(['campaign', 'report', 'spring', '--state', 'pending']);
    expect(pending.stdout.trim().split('\n')).toHaveLength(1 + 3);
    const some = w.cli(['campaign', 'report', 'spring', '--state', 'sent,pending', '--limit', '4', '--format', 'json']);
    expect(JSON.parse(some.stdout).map((r: { state: string }) => r.state)).toEqual(['sent', 'sent', 'pending', 'pending']);
    const bad = w.cli(['campaign', 'report', 'spring', '--state', 'faild']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('did you mean "failed"');
  });

  it('on a terminal without --out: a summary and the commands for the rows, not every row', () => {
    const w = sent(5, { limit: 2 });
    const r = runInPty('$MKT campaign report spring', { cwd: w.dir });
    const text = plain(r.screen);
    expect(r.code).toBe(0);
    expect(text).not.toContain('recipient_id');
    expect(text).toMatch(/rows\s+5/);
    expect(text).toMatch(/pending\s+3/);
    expect(text).toContain('mkt campaign report spring --out report.csv');
    // piped, the CSV as before
    expect(w.cli(['campaign', 'report', 'spring']).stdout.split('\n')[0]).toMatch(/^recipient_id,/);
  });
});

describe('campaign status', () => {
  it('colours states on a terminal only, never with NO_COLOR or when piped', () => {
    const w = sent(2);
    expect(runInPty('$MKT campaign status spring', { cwd: w.dir }).screen).toContain(`${GREEN}completed`);
    expect(runInPty('$MKT campaign status spring', { cwd: w.dir, env: { NO_COLOR: '1' } }).screen).not.toContain('\u001b[3');
    expect(runInPty('$MKT campaign status spring --no-color', { cwd: w.dir }).screen).not.toContain('\u001b[3');
    expect(runInPty('$MKT campaign status spring | cat', { cwd: w.dir }).screen).not.toContain('\u001b[');
  });

  it('--watch without a terminal: one line per refresh, ends when the campaign stops sending', () => {
    const w = sent(2);
    const r = w.cli(['campaign', 'status', 'spring', '--watch']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\S+Z spring completed sent 2\/2 failed 0 unknown 0 pending 0 rate \S+\/s\n$/);
  });

  it('--watch on a terminal redraws in place while a send runs, until it completes', () => {
    ws = smsWorkspace(30);
    ws.cli(['campaign', 'create', '--name', 'spring', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']);
    ws.cli(['campaign', 'prepare', 'spring']);
    const r = runInPty('$MKT campaign send spring --yes --throttle 10/s >/dev/null 2>&1 & sleep 1; $MKT campaign status spring --watch --interval 1; wait', { cwd: ws.dir, timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    // cursor up over the last frame and erase below, at least once
    expect(r.screen).toMatch(/\u001b\[\d+F\u001b\[0J/);
    const last = plain(r.screen.slice(r.screen.lastIndexOf('\u001b[0J')));
    expect(last).toMatch(/^state\s+completed$/m);
    expect(last).toMatch(/^sent\s+30$/m);
  });
});
