import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempWorkspace } from '../support/cli.js';
import { statSync, writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';

let ws: ReturnType<typeof tempWorkspace>;
afterEach(() => ws?.cleanup());

/** Creates an empty store the way a user does: a write command (read commands never create one). */
function initStore(cwd: string, args: string[] = [], env?: NodeJS.ProcessEnv): void {
  writeFileSync(path.join(cwd, 'empty.csv'), 'external_id,email\n');
  expect(runCli([...args, 'customers', 'import', 'empty.csv'], { cwd, env }).code).toBe(0);
}

describe('CLI frame', () => {
  it('an unknown command is a usage error (64) in the common error format', () => {
    ws = tempWorkspace();
    const r = runCli(['nope', '--json'], { cwd: ws.dir });
    expect(r.code).toBe(64);
    expect(r.stdout).toBe('');
    expect(JSON.parse(r.stderr)).toEqual({ error: { code: 'usage', message: expect.stringContaining("unknown command 'nope'"), hint: expect.any(String) } });
  });

  it('--json prints exactly one JSON document on stdout', () => {
    ws = tempWorkspace();
    initStore(ws.dir);
    const r = runCli(['customers', 'count', '--json'], { cwd: ws.dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ count: 0 });
  });

  it('creates the store private (0700 folder, 0600 file) in the workspace found upward', () => {
    ws = tempWorkspace();
    writeFileSync(path.join(ws.dir, 'providers.yaml'), 'providers: []\n');
    const sub = path.join(ws.dir, 'a', 'b');
    mkdirSync(sub, { recursive: true });
    initStore(sub);
    const r = runCli(['customers', 'count'], { cwd: sub });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('0\n');
    expect(statSync(path.join(ws.dir, '.mkt')).mode & 0o777).toBe(0o700);
    expect(statSync(ws.db).mode & 0o777).toBe(0o600);
  });

  it('--db and MKT_DB choose the database file', () => {
    ws = tempWorkspace();
    const a = path.join(ws.dir, 'a.db');
    const b = path.join(ws.dir, 'b.db');
    initStore(ws.dir, ['--db', a]);
    initStore(ws.dir, [], { MKT_DB: b });
    expect(runCli(['--db', a, 'customers', 'count'], { cwd: ws.dir }).code).toBe(0);
    expect(runCli(['customers', 'count'], { cwd: ws.dir, env: { MKT_DB: b } }).code).toBe(0);
    expect(statSync(a).isFile()).toBe(true);
    expect(statSync(b).isFile()).toBe(true);
  });

  it('a missing customer is bad input (65) with a hint', () => {
    ws = tempWorkspace();
    initStore(ws.dir);
    const r = runCli(['customers', 'show', 'nobody@example.com'], { cwd: ws.dir });
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('no customer matches "nobody@example.com"');
    expect(r.stderr).toContain('hint:');
  });
});
