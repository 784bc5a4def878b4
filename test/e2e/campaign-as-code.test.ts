/**
 * Campaigns as code through the built CLI: campaigns/<name>.yaml applied as a plan (create,
 * update, no change, refused) in one transaction, validate without a database, edit / schedule /
 * clone / delete / archive under the same rule of what a campaign's state lets change, and a
 * past --schedule refused (64) unless --now. Time is mkt's clock (MKT_NOW).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';

const NOW = { MKT_NOW: '2026-06-01T12:00:00Z' };
let ws: SmsWorkspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

function withFiles(files: Record<string, string>): SmsWorkspace {
  ws ??= smsWorkspace(3);
  mkdirSync(path.join(ws.dir, 'campaigns'), { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(ws.dir, 'campaigns', name), text);
  return ws;
}
const spec = (extra = '') => `channel: sms\nsegment: all-sms\nprovider: outbox-sms\ntemplate: hello\n${extra}`;
const cli = (args: string[]) => ws!.cli(args, NOW);
const campaignRows = () => JSON.stringify(ws!.query('SELECT * FROM campaigns ORDER BY id'));
const ledgerRows = () => JSON.stringify(ws!.query('SELECT * FROM campaign_recipients ORDER BY id'));

describe('campaign apply', { timeout: 60_000 }, () => {
  it('plans create, then no change, then update: keys; --dry-run changes nothing', () => {
    withFiles({ 'spring.yaml': spec('throttle: 5/s\n'), 'autumn.yaml': spec() });
    const dry = cli(['campaign', 'apply', '--dry-run']);
    expect([dry.code, dry.stdout]).toEqual([0, 'autumn: create\nspring: create\n']);
    expect(ws!.query('SELECT name FROM campaigns')).toEqual([]);
    expect(cli(['campaign', 'apply']).stdout).toBe('autumn: create\nspring: create\n');
    expect(cli(['campaign', 'apply']).stdout).toBe('autumn: no change\nspring: no change\n');
    withFiles({ 'spring.yaml': spec('throttle: 8/s\nschedule: 2026-07-01T09:00:00+02:00\nconcurrency: 4\n') });
    const r = cli(['campaign', 'apply', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).plan.map((l: { name: string; action: string; changes: string[] }) => [l.name, l.action, l.changes])).toEqual([
      ['autumn', 'no_change', []],
      ['spring', 'update', ['schedule', 'throttle', 'concurrency']],
    ]);
    expect(ws!.query('SELECT throttle, schedule_at AS at, settings FROM campaigns WHERE name = ?', 'spring')).toEqual([
      { throttle: '8/s', at: Date.parse('2026-07-01T07:00:00Z'), settings: '{"concurrency":4}' },
    ]);
  });

  it('a sending campaign refuses all but throttle, schedule and concurrency; a refused line applies nothing (65)', () => {
    withFiles({ 'spring.yaml': spec() });
    cli(['campaign', 'apply']);
    cli(['campaign', 'prepare', 'spring']);
    expect(cli(['campaign', 'send', 'spring', '--limit', '1', '--yes']).code).toBe(0);
    expect(ws!.query<{ state: string }>('SELECT state FROM campaigns')[0]!.state).toMatch(/^(paused|sending)$/);
    const state = ws!.query<{ state: string }>('SELECT state FROM campaigns')[0]!.state;
    const [campaigns, ledger] = [campaignRows(), ledgerRows()];
    withFiles({ 'spring.yaml': spec('throttle: 2/s\n').replace('template: hello', 'template: hello\ndistribution: sticky'), 'new.yaml': spec() });
    const r = cli(['campaign', 'apply']);
    expect(r.code).toBe(65);
    expect(r.stdout).toBe(`new: create\nspring: refused: spring is ${state}; only throttle, schedule and concurrency may change\n`);
    expect([campaignRows(), ledgerRows()]).toEqual([campaigns, ledger]);
    // throttle alone is allowed on a campaign that has started
    withFiles({ 'spring.yaml': spec('throttle: 2/s\n') });
    rmSync(path.join(ws!.dir, 'campaigns', 'new.yaml'));
    expect(cli(['campaign', 'apply']).stdout).toBe('spring: update: throttle\n');
    expect(ledgerRows()).toBe(ledger);
  });

  it('a new or changed schedule in the past is refused (64) unless --now', () => {
    withFiles({ 'late.yaml': spec('schedule: 2026-05-01T00:00:00Z\n') });
    const r = cli(['campaign', 'apply']);
    expect(r.code, r.stderr).toBe(64);
    expect(r.stdout).toMatch(/^late: refused: late: schedule 2026-05-01T00:00:00Z is in the past/);
    expect(ws!.query('SELECT name FROM campaigns')).toEqual([]);
    expect(cli(['campaign', 'apply', '--now']).stdout).toBe('late: create\n');
    expect(cli(['campaign', 'apply']).stdout).toBe('late: no change\n'); // unchanged: not asked again
  });
});

describe('campaign validate', { timeout: 60_000 }, () => {
  it('checks every file without a database: file:line:col for each problem, exit 65', () => {
    withFiles({ 'a.yaml': spec('throttle: fast\n'), 'b.yaml': spec().replace('all-sms', 'all-smss'), 'c.yaml': 'name: b\n' + spec() });
    const db = path.join(ws!.dir, 'none', 'mkt.db');
    const r = ws!.cli(['campaign', 'validate', '--db', db]);
    expect(r.code, r.stderr).toBe(65);
    const dir = path.join(ws!.dir, 'campaigns');
    expect(r.stderr).toContain(`${dir}/a.yaml:5:11: throttle "fast" is not a rate`);
    expect(r.stderr).toContain(`${dir}/b.yaml:2:10: segment: unknown segment "all-smss" (did you mean "all-sms"?)`);
    expect(r.stderr).toContain(`${dir}/c.yaml:1:7: campaign "b" is also defined in ${dir}/b.yaml`);
    expect(existsSync(path.dirname(db))).toBe(false);
    rmSync(path.join(dir, 'c.yaml'));
    writeFileSync(path.join(dir, 'a.yaml'), spec());
    writeFileSync(path.join(dir, 'b.yaml'), spec());
    const ok = ws!.cli(['campaign', 'validate', '--db', db, '--json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout).files.map((f: { name: string }) => f.name)).toEqual(['a', 'b']);
  });
});

describe('campaign edit, schedule, clone, delete, archive', { timeout: 60_000 }, () => {
  it('edit --set changes what the state allows; a campaign with a file is edited in its file', () => {
    ws = smsWorkspace(3);
    cli(['campaign', 'create', '--name', 'flash', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']);
    expect(cli(['campaign', 'edit', 'flash', '--set', 'throttle=3/s', '--set', 'distribution=sticky']).stdout).toBe('flash: update: throttle, distribution\n');
    expect(cli(['campaign', 'edit', 'flash', '--set', 'throttle=fast']).code).toBe(64);
    expect(cli(['campaign', 'edit', 'flash', '--set', 'colour=red']).code).toBe(64);
    cli(['campaign', 'prepare', 'flash']);
    const r = cli(['campaign', 'edit', 'flash', '--set', 'segment=other']);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('flash is prepared; only template, schedule, throttle, distribution, concurrency and tracking may change');
    expect(cli(['campaign', 'edit', 'flash', '--set', 'throttle=']).stdout).toBe('flash: update: throttle\n');
    expect(ws.query('SELECT throttle FROM campaigns')).toEqual([{ throttle: null }]);
    withFiles({ 'flash.yaml': spec() });
    const owned = cli(['campaign', 'edit', 'flash', '--set', 'throttle=1/s']);
    expect(owned.code).toBe(65);
    expect(owned.stderr).toContain('campaigns/flash.yaml is the source of truth for "flash"');
  });

  it('schedule refuses a past time (64) unless --now; unschedule takes it off', () => {
    ws = smsWorkspace(2);
    const late = cli(['campaign', 'create', '--name', 'x', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello', '--schedule', '2026-06-01T11:59:00Z']);
    expect(late.code).toBe(64);
    expect(late.stderr).toContain('schedule 2026-06-01T11:59:00Z is in the past (now 2026-06-01T12:00:00');
    expect(ws.query('SELECT name FROM campaigns')).toEqual([]);
    cli(['campaign', 'create', '--name', 'x', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']);
    expect(cli(['campaign', 'schedule', 'x', '2026-05-01T00:00:00Z']).code).toBe(64);
    expect(cli(['campaign', 'schedule', 'x', 'tomorrow']).code).toBe(64);
    expect(cli(['campaign', 'schedule', 'x', '2026-06-02T09:00:00+02:00']).stdout).toBe('x scheduled for 2026-06-02T07:00:00.000Z\n');
    expect(JSON.parse(cli(['campaign', 'send', '--due', '--yes', '--json']).stdout).due).toEqual([]);
    expect(cli(['campaign', 'schedule', 'x', '2026-05-01T00:00:00Z', '--now']).code).toBe(0);
    expect(cli(['campaign', 'unschedule', 'x']).stdout).toBe('x is not scheduled\n');
    expect(ws.query('SELECT schedule_at FROM campaigns')).toEqual([{ schedule_at: null }]);
  });

  it('clone copies the definition; delete removes drafts only; archive hides a finished campaign from list', () => {
    ws = smsWorkspace(2);
    cli(['campaign', 'create', '--name', 'a', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello', '--throttle', '4/s', '--schedule', '2026-07-01T00:00:00Z']);
    const clone = JSON.parse(cli(['campaign', 'clone', 'a', 'b', '--json']).stdout);
    expect(clone).toMatchObject({ name: 'b', state: 'draft', throttle: '4/s', schedule: null, template: 'hello' });
    expect(cli(['campaign', 'delete', 'b']).code).toBe(64); // asks, and there is no terminal
    expect(cli(['campaign', 'delete', 'b', '--yes']).stdout).toBe('deleted b\n');
    cli(['campaign', 'prepare', 'a']);
    cli(['campaign', 'send', 'a', '--yes']);
    const ledger = ledgerRows();
    const del = cli(['campaign', 'delete', 'a', '--yes']);
    expect(del.code).toBe(65);
    expect(del.stderr).toContain('campaign "a" is completed; only a draft can be deleted');
    expect(del.stderr).toContain('mkt campaign archive a');
    expect(cli(['campaign', 'archive', 'a']).code).toBe(0);
    expect(ledgerRows()).toBe(ledger);
    expect(JSON.parse(cli(['campaign', 'list', '--json']).stdout)).toEqual([]);
    expect(JSON.parse(cli(['campaign', 'list', '--all', '--json']).stdout)).toMatchObject([{ name: 'a', archived_at: expect.stringMatching(/^2026-06-01T12:00/) }]);
    expect(cli(['campaign', 'edit', 'a', '--set', 'throttle=1/s']).stderr).toContain('nothing may change');
  });
});
