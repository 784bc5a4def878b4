import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempWorkspace } from '../support/cli.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A workspace with config files but no database yet. */
function noDbWorkspace() {
  const t = tempWorkspace();
  cleanups.push(t.cleanup);
  writeFileSync(path.join(t.dir, 'providers.yaml'), 'providers:\n  - name: outbox\n    type: outbox\n    channel: email\n    senders: [ "News <news@shop.example.com>" ]\n');
  mkdirSync(path.join(t.dir, 'segments'));
  writeFileSync(path.join(t.dir, 'segments', 'all.yaml'), 'where:\n  email_opt_in: true\n');
  mkdirSync(path.join(t.dir, 'templates', 'sms'), { recursive: true });
  writeFileSync(path.join(t.dir, 'templates', 'sms', 'hello.txt'), 'Hi {{ first_name }}\n');
  return t;
}

// every read command the issue names; none may create a workspace folder or a database
const READS: string[][] = [
  ['customers', 'count'],
  ['customers', 'list'],
  ['customers', 'show', 'a@example.com'],
  ['segment', 'count', 'all'],
  ['segment', 'preview', 'all'],
  ['segment', 'list'],
  ['segment', 'list', '--count'],
  ['campaign', 'list'],
  ['campaign', 'show', 'c'],
  ['campaign', 'status', 'c'],
  ['campaign', 'report', 'c'],
  ['campaign', 'check', 'c'],
  ['campaign', 'recount', 'c'],
  ['template', 'render', 'hello', '--customer', 'a@example.com'],
  ['provider', 'list'],
  ['suppress', 'list'],
];
// those that need the database say so with 78 and the path
const NEEDS_DB = (args: string[]) => !(args[0] === 'provider' || (args[0] === 'segment' && args[1] === 'list' && !args.includes('--count')));

describe('read commands never create state', { timeout: 120_000 }, () => {
  it('with no database: nothing is created, and commands that need one exit 78 "no database at …"', () => {
    const t = noDbWorkspace();
    for (const args of READS) {
      const r = runCli([...args, '--json'], { cwd: t.dir });
      if (NEEDS_DB(args)) {
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(78);
        expect(JSON.parse(r.stderr.trim()).error.message).toBe(`no database at ${t.db}; import customers first or pass --db`);
      } else expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(existsSync(path.join(t.dir, '.mkt')), args.join(' ')).toBe(false);
    }
  });

  it('a mistyped MKT_DB or --db is an error, not a fresh empty database that answers 0', () => {
    const t = noDbWorkspace();
    writeFileSync(path.join(t.dir, 'c.csv'), 'external_id,email,email_opt_in\na,a@example.com,yes\n');
    expect(runCli(['customers', 'import', 'c.csv'], { cwd: t.dir }).code).toBe(0);
    expect(runCli(['customers', 'count'], { cwd: t.dir }).stdout.trim()).toBe('1');
    const typo = path.join(t.dir, '.mkt', 'mtk.db');
    const viaEnv = runCli(['customers', 'count'], { cwd: t.dir, env: { MKT_DB: typo } });
    expect(viaEnv.code).toBe(78);
    expect(viaEnv.stderr).toContain(`no database at ${typo}`);
    expect(runCli(['--db', 'elsewhere/x.db', 'segment', 'count', 'all'], { cwd: t.dir }).code).toBe(78);
    expect(readdirSync(path.join(t.dir, '.mkt')).filter((f) => !f.startsWith('mkt.db'))).toEqual([]);
    expect(existsSync(path.join(t.dir, 'elsewhere'))).toBe(false);
  });

  it('-w on a folder that does not exist exits 78 and creates nothing', () => {
    const t = noDbWorkspace();
    const missing = path.join(t.dir, 'nope');
    for (const args of [['customers', 'count'], ['campaign', 'list'], ['provider', 'list'], ['segment', 'list']]) {
      const r = runCli(['-w', missing, ...args], { cwd: t.dir });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(78);
      expect(r.stderr).toContain(`no workspace folder at ${missing}`);
    }
    expect(existsSync(missing)).toBe(false);
  });
});

describe('commands that only look, or fail before writing, create no database', { timeout: 120_000 }, () => {
  const mkt = (t: { dir: string }, ...args: string[]) => runCli(args, { cwd: t.dir });

  it('segment create --rule with no database writes the file, skips the live count and says so (was: file written, then 78)', () => {
    const t = noDbWorkspace();
    const r = mkt(t, 'segment', 'create', 'de', '--rule', 'country eq DE');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`no database at ${t.db} yet, so no live count`);
    expect(existsSync(path.join(t.dir, 'segments', 'de.yaml'))).toBe(true);
    const json = mkt(t, 'segment', 'create', 'at', '--rule', 'country eq AT', '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ count: null });
    expect(existsSync(path.join(t.dir, '.mkt'))).toBe(false);
  });

  it('customers import --dry-run: with no database it counts against an empty one and creates nothing; with one it leaves it as it was', () => {
    const t = noDbWorkspace();
    writeFileSync(path.join(t.dir, 'c.csv'), 'external_id,email,email_opt_in\na,a@example.com,yes\nb,b@example.com,yes\n');
    const dry = mkt(t, 'customers', 'import', 'c.csv', '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(0);
    expect(JSON.parse(dry.stdout)).toMatchObject({ read: 2, inserted: 2 });
    expect(dry.stderr).toContain(`no database at ${t.db} yet: the dry run counts against an empty one`);
    expect(existsSync(path.join(t.dir, '.mkt'))).toBe(false);
    expect(mkt(t, 'customers', 'import', 'c.csv').code).toBe(0);
    writeFileSync(path.join(t.dir, 'd.csv'), 'external_id,email,email_opt_in\na,a@example.com,yes\nc,c@example.com,yes\n');
    const again = mkt(t, 'customers', 'import', 'd.csv', '--dry-run', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ read: 2, inserted: 1, unchanged: 1 });
    expect(mkt(t, 'customers', 'count').stdout.trim()).toBe('2');
  });

  it('customers import of a missing file (65) or into a missing --rejects folder (73) creates no database', () => {
    const t = noDbWorkspace();
    const missing = mkt(t, 'customers', 'import', 'nope.csv');
    expect(missing.code, missing.stderr).toBe(65);
    writeFileSync(path.join(t.dir, 'c.csv'), 'external_id,email,email_opt_in\na,a@example.com,yes\n');
    const rejects = mkt(t, 'customers', 'import', 'c.csv', '--rejects', 'no/such/rejects.csv');
    expect(rejects.code, rejects.stderr).toBe(73);
    expect(existsSync(path.join(t.dir, '.mkt'))).toBe(false);
  });
});
