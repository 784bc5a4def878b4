import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, runShell, tempWorkspace } from '../support/cli.js';

let ws: ReturnType<typeof tempWorkspace> | undefined;
afterEach(() => ws?.cleanup());

describe('mkt demo', () => {
  it('runs the whole lifecycle in a fresh demo workspace, and again', () => {
    ws = tempWorkspace();
    const dir = path.join(ws.dir, 'demo');
    for (let run = 0; run < 2; run++) {
      const r = runCli(['demo', '--customers', '300', '--throttle', '1000/s', '--dir', dir, '--json'], { cwd: ws.dir });
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out.status).toMatchObject({ campaign: 'demo-spring-sale', state: 'completed' });
      expect(out.plan.recipients).toBe(out.segment.count - Object.values(out.plan.excluded as Record<string, number>).reduce((a, b) => a + b, 0));
      expect(out.status.counts.sent).toBe(out.plan.recipients);
      expect(out.plan.recipients).toBeGreaterThan(50);
      // one .eml per recipient, spread over the sample's two senders
      expect(readdirSync(out.outbox).filter((f) => f.endsWith('.eml'))).toHaveLength(out.plan.recipients);
      expect(Object.keys(out.status.by_sender)).toHaveLength(2);
      expect(r.stderr).toContain('seeded 300 demo customers');
    }
    // the user's own workspace was not touched
    expect(readdirSync(ws.dir).sort()).toEqual(['demo']);
  });

  it('its "try next" line runs as printed, with mkt on PATH as README installs it', () => {
    ws = tempWorkspace();
    const r = runCli(['demo', '--customers', '100', '--throttle', '1000/s', '--dir', path.join(ws.dir, 'demo')], { cwd: ws.dir });
    expect(r.code, r.stderr).toBe(0);
    const next = /^try next\s+(mkt .+)$/m.exec(r.stdout)![1]!;
    const run = runShell(next, { cwd: ws.dir });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^state\s+completed$/m);
  });

  it('refuses to wipe a folder it did not create (64)', () => {
    ws = tempWorkspace();
    const dir = path.join(ws.dir, 'mine');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'precious.txt'), 'keep me');
    const r = runCli(['demo', '--dir', dir], { cwd: ws.dir });
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('not an mkt demo workspace');
    expect(readdirSync(dir)).toEqual(['precious.txt']);
  });
});
