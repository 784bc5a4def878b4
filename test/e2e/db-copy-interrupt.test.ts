/**
 * Ctrl-C during `mkt db copy`: the copy stops at its next step, rolls the target back and says so
 * in one stderr line (exit 75, `copy_interrupted`): up into PostgreSQL the target stays empty,
 * down into a new file no file is left. To interrupt at a known point, the test holds the copy
 * lock (COPY_LOCK, the one a worker takes to start) so the copy waits on it, sends SIGINT, then
 * lets it go on.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { COPY_LOCK } from '../../src/db/pg/workers.js';
import { BIN, cliEnv, runCliAsync, tempWorkspace } from '../support/cli.js';
import { pgTestDatabase } from '../support/pg.js';

const pgDb = await pgTestDatabase('e2e_copy_interrupt');
afterAll(async () => {
  await pgDb?.drop();
});

describe.skipIf(!pgDb)('db copy: Ctrl-C', { timeout: 120_000 }, () => {
  const url = pgDb?.url ?? '';
  const ws = tempWorkspace(true);
  afterAll(() => ws.cleanup());

  /** Runs `db copy` while the lock is held, interrupts it once it waits for the lock, then releases the lock. */
  async function interruptedCopy(args: string[]): Promise<{ code: number | null; stderr: string }> {
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await holder.query('BEGIN');
      await holder.query('SELECT pg_advisory_xact_lock($1, $2)', [...COPY_LOCK]);
      const child = spawn(process.execPath, [BIN, 'db', 'copy', ...args], { cwd: ws.dir, env: cliEnv() });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
      let waiting = 0;
      for (let i = 0; i < 500 && waiting === 0; i++) {
        const { rows } = await holder.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND classid = $1 AND objid = $2 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [...COPY_LOCK],
        );
        waiting = rows[0]!.n;
        if (waiting === 0) await sleep(20);
      }
      expect(waiting, stderr).toBe(1);
      child.kill('SIGINT');
      // the signal is handled before the lock is let go (the handler runs between the copy's awaits)
      await sleep(200);
      await holder.query('COMMIT');
      return { code: await exited, stderr };
    } finally {
      await holder.end();
    }
  }

  it('up into PostgreSQL: one line, exit 75, the target left empty', async () => {
    expect((await runCliAsync(['customers', 'seed', '--count', '50'], { cwd: ws.dir })).code).toBe(0);
    const r = await interruptedCopy([ws.db, url]);
    expect(r.code, r.stderr).toBe(75);
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^mkt: db copy interrupted: nothing was copied; postgres:\/\/mkt_test:\*\*\*@.* was left as it was$/)]);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      expect((await client.query('SELECT count(*)::int AS n FROM customers')).rows[0].n).toBe(0);
    } finally {
      await client.end();
    }
    // not marked moved either: the file is still the live store
    expect((await runCliAsync(['suppress', 'add', 'a@example.com', '--channel', 'email'], { cwd: ws.dir })).code).toBe(0);
  });

  it('down into a new file: one line, exit 75, no file left', async () => {
    const fresh = path.join(ws.dir, 'fresh.db');
    const r = await interruptedCopy([url, fresh]);
    expect(r.code, r.stderr).toBe(75);
    expect(r.stderr.trim().split('\n')).toEqual([`mkt: db copy interrupted: nothing was copied; ${fresh} was left as it was`]);
    expect(existsSync(fresh)).toBe(false);
  });
});
