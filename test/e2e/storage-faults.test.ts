import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { BIN, cliEnv, runCli, tempWorkspace } from '../support/cli.js';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';

let ws: SmsWorkspace | undefined;
const cleanups: Array<() => void> = [];
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
  for (const c of cleanups.splice(0)) c();
});

const lastError = (stderr: string) => JSON.parse(stderr.trim().split('\n').at(-1)!).error as { code: string; message: string; details?: Record<string, unknown> };

/** Overwrites the pages of a table and its indexes with garbage: what a bad disk does. */
function corruptTable(db: string, table: string): void {
  const sqlite = new Database(db);
  const pageSize = sqlite.pragma('page_size', { simple: true }) as number;
  const roots = sqlite.prepare('SELECT rootpage FROM sqlite_master WHERE tbl_name = ? AND rootpage > 0').pluck().all(table) as number[];
  sqlite.close(); // checkpoints the WAL into the file
  const fd = openSync(db, 'r+');
  for (const root of roots) writeSync(fd, Buffer.alloc(pageSize, 0xa5), 0, pageSize, (root - 1) * pageSize);
  closeSync(fd);
}

/** Makes a file impossible to write, also for root (chattr +i), else by permission bits. */
function makeReadOnly(file: string): () => void {
  if (process.getuid?.() === 0) {
    const r = spawnSync('chattr', ['+i', file]);
    if (r.status !== 0) return () => {};
    return () => spawnSync('chattr', ['-i', file]);
  }
  chmodSync(file, 0o444);
  return () => chmodSync(file, 0o600);
}

describe('storage faults get honest exit codes', { timeout: 120_000 }, () => {
  it('a corrupt ledger exits 78 with the integrity_check excerpt: status (was 1) and send (was 75)', () => {
    ws = smsWorkspace(30);
    expect(ws.cli(['campaign', 'create', '--name', 'c', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']).code).toBe(0);
    expect(ws.cli(['campaign', 'prepare', 'c']).code).toBe(0);
    corruptTable(ws.db, 'campaign_recipients');
    for (const args of [['campaign', 'status', 'c', '--json'], ['campaign', 'send', 'c', '--yes', '--json']]) {
      const r = ws.cli(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(78);
      const e = lastError(r.stderr);
      expect(e.code).toBe('database_corrupt');
      expect(e.message).toContain('the database is corrupt: restore a backup');
      expect((e.details?.integrity_check as string[]).length).toBeGreaterThan(0);
    }
    const human = ws.cli(['campaign', 'status', 'c']);
    expect(human.stderr).toMatch(/integrity_check: /);
  });

  it('a file that is not a database exits 78 as corrupt (SQLITE_NOTADB), not "a bug in mkt"', () => {
    const t = tempWorkspace();
    cleanups.push(t.cleanup);
    const file = path.join(t.dir, 'noise.db');
    writeFileSync(file, Buffer.alloc(8192, 0x5a));
    const r = runCli(['--db', file, 'customers', 'count', '--json'], { cwd: t.dir });
    expect(r.code).toBe(78);
    expect(lastError(r.stderr).code).toBe('database_corrupt');
  });

  it('a read-only database file exits 78 and says what to fix (was 1)', () => {
    ws = smsWorkspace(3);
    writeFileSync(path.join(ws.dir, 'more.csv'), 'external_id,phone,country,sms_opt_in\nnew1,+491512345678,DE,yes\n');
    const undo = makeReadOnly(ws.db);
    cleanups.push(undo);
    const r = ws.cli(['customers', 'import', 'more.csv', '--json']);
    undo();
    expect(r.code, r.stderr).toBe(78);
    const e = lastError(r.stderr);
    expect(e.code).toBe('database_readonly');
    expect(e.message).toContain(ws.db);
    expect(r.stderr).toMatch(/writable/);
  });

  it('disk full: a write past the file-size limit exits 74 (EX_IOERR) and leaves the customers unchanged', () => {
    ws = smsWorkspace(3);
    const before = ws.query<{ n: number }>('SELECT count(*) AS n FROM customers')[0]!.n;
    const size = Math.ceil(statSync(ws.db).size / 1024);
    // 20,000 rows do not fit in the few KiB the limit leaves; the write fails for real (EFBIG)
    const rows = Array.from({ length: 20_000 }, (_, i) => `big${i},user${i}@example.com,yes,${'x'.repeat(80)}`);
    writeFileSync(path.join(ws.dir, 'big.csv'), ['external_id,email,email_opt_in,first_name', ...rows].join('\n') + '\n');
    const r = spawnSync('sh', ['-c', `ulimit -f ${size + 64}; exec "${process.execPath}" "${BIN}" customers import big.csv --json`], { cwd: ws.dir, env: cliEnv(), encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(74);
    expect(['disk_full', 'io_error']).toContain(lastError(r.stderr).code);
    expect(ws.query<{ n: number }>('SELECT count(*) AS n FROM customers')[0]!.n).toBe(before);
  });

  it('--out into a folder that does not exist exits 73 with the path (was a raw ENOENT, 1)', () => {
    ws = smsWorkspace(3);
    expect(ws.cli(['campaign', 'create', '--name', 'c', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']).code).toBe(0);
    const r = ws.cli(['campaign', 'report', 'c', '--out', 'no/such/folder/report.csv']);
    expect(r.code).toBe(73);
    expect(r.stderr).toContain('no/such/folder');
    writeFileSync(path.join(ws.dir, 'c.csv'), 'external_id,phone,country,sms_opt_in\nz,123,DE,yes\n');
    const rejects = ws.cli(['customers', 'import', 'c.csv', '--rejects', 'missing/rejects.csv']);
    expect(rejects.code).toBe(73);
    expect(rejects.stderr).toContain('missing/rejects.csv');
  });

  it('--db on a path that can never be a database exits 78 at once (was a 100% CPU spin under /proc)', () => {
    const t = tempWorkspace();
    cleanups.push(t.cleanup);
    writeFileSync(path.join(t.dir, 'c.csv'), 'external_id,email,email_opt_in\na,a@example.com,yes\n');
    for (const db of ['/proc/self/nothing/mkt.db', '/proc/self/status', '/dev/null', t.dir]) {
      for (const args of [['customers', 'count'], ['customers', 'import', 'c.csv']]) {
        const r = runCli(['--db', db, ...args, '--json'], { cwd: t.dir, timeoutMs: 15_000 });
        expect(r.code, `${db} ${args.join(' ')}: ${r.stderr}`).toBe(78);
        expect(lastError(r.stderr).code).toBe('not_a_database');
      }
    }
    expect(existsSync('/proc/self/nothing')).toBe(false);
    expect(readFileSync(path.join(t.dir, 'c.csv'), 'utf8')).toContain('a@example.com');
  });
});
