import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliAsync } from '../support/cli.js';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';

let ws: SmsWorkspace | undefined;
afterEach(() => ws?.cleanup());

describe('the database locked by another process', () => {
  it('a send that cannot get the write lock stops resumably (75), changes nothing, and resumes later', async () => {
    ws = smsWorkspace(40);
    ws.cli(['campaign', 'create', '--name', 'c', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']);
    ws.cli(['campaign', 'prepare', 'c']);
    const other = new Database(ws.db);
    other.prepare('BEGIN IMMEDIATE').run();
    // holds the write lock past the CLI's busy_timeout (5 s)
    const r = await runCliAsync(['campaign', 'send', 'c', '--yes', '--json'], { cwd: ws.dir, env: ws.env, timeoutMs: 60_000 });
    other.prepare('ROLLBACK').run();
    other.close();
    expect(r.code).toBe(75);
    expect(JSON.parse(r.stderr.trim().split('\n').at(-1)!).error.code).toBe('database_locked');
    expect(ws.states()).toEqual({ pending: 40 });
    const again = ws.cli(['campaign', 'send', 'c', '--yes', '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ sent: 40, state: 'completed' });
  });
});
