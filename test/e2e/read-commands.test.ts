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
  ['campaign', 'list'],
  ['campaign', 'show', 'c'],
  ['campaign', 'status', 'c'],
  ['campaign', 'report', 'c'],
  ['provider', 'list'],
  ['suppress', 'list'],
];
// those that need the database say so with 78 and the path
const NEEDS_DB = (args: string[]) => !(args[0] === 'provider' || (args[0] === 'segment' && args[1] === 'list'));

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
