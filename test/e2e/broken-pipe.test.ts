/**
 * `mkt … | head` ends quietly with exit 0, as git and gh do: the reader closing the pipe early
 * is not an error, so no EPIPE stack trace and no exit 1.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cliEnv, runCli, tempWorkspace } from '../support/cli.js';

let ws: ReturnType<typeof tempWorkspace>;

beforeAll(() => {
  ws = tempWorkspace();
  // ~100 bytes a row: far more than a pipe buffer holds, so the writer meets the closed end
  const r = runCli(['customers', 'seed', '--count', '4000'], { cwd: ws.dir });
  expect(r.code).toBe(0);
});
afterAll(() => ws?.cleanup());

/** Runs node with `args`, reads the first line of `stream`, then closes that pipe. */
function readOneLineAndClose(args: string[], stream: 'stdout' | 'stderr'): Promise<{ code: number | null; first: string; other: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ws.dir, env: cliEnv() });
    const other = stream === 'stdout' ? child.stderr : child.stdout;
    let first = '';
    let rest = '';
    other.on('data', (d) => (rest += d));
    const pipe = child[stream];
    pipe.on('data', (d) => {
      first += d;
      if (first.includes('\n')) pipe.destroy(); // like `head -1`
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, first: first.split('\n')[0]!, other: rest });
    });
    child.stdin.end();
  });
}

describe('a reader that closes the pipe early', () => {
  it('customers list | head -1: exit 0, nothing on stderr', async () => {
    const r = await readOneLineAndClose([BIN, 'customers', 'list', '--limit', '4000'], 'stdout');
    expect(r.first).toMatch(/^id\s+email/);
    expect(r.other).toBe('');
    expect(r.code).toBe(0);
  });

  it('customers list --json | head -1: exit 0, nothing on stderr', async () => {
    const r = await readOneLineAndClose([BIN, 'customers', 'list', '--limit', '4000', '--json'], 'stdout');
    expect(r.first).toBe('[');
    expect(r.other).toBe('');
    expect(r.code).toBe(0);
  });

  it('a closed stderr is as quiet: the program carries on and ends with its own code', async () => {
    // the guard the CLI entry installs, on a program that talks a lot on stderr and then reports on stdout
    const script = `
      const { quietOnBrokenPipe } = await import(${JSON.stringify(path.join(ROOT, 'dist/output/pipes.js'))});
      quietOnBrokenPipe();
      for (let i = 0; i < 20000; i++) process.stderr.write('progress ' + i + ' ' + 'x'.repeat(60) + '\\n');
      await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < 100; i++) process.stderr.write('more\\n');
      await new Promise((r) => process.stderr.write('last\\n', r));
      process.stdout.write('finished\\n');`;
    const r = await readOneLineAndClose(['--input-type=module', '-e', script], 'stderr');
    expect(r.first).toBe('progress 0 ' + 'x'.repeat(60));
    expect(r.other).toBe('finished\n');
    expect(r.code).toBe(0);
  });
});

describe('a stdout that cannot be written (a full disk, an I/O error)', () => {
  /** Runs mkt with stdout on /dev/full, where every write fails with ENOSPC. */
  function toDevFull(args: string[]) {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ws.dir, env: cliEnv(), stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', timeout: 30_000 });
      return { code: r.status, stderr: r.stderr };
    } finally {
      closeSync(fd);
    }
  }

  it.skipIf(!existsSync('/dev/full'))('customers list > /dev/full: exit 74 with the reason, no stack trace (was exit 1 and a trace)', () => {
    const human = toDevFull(['customers', 'list', '--limit', '4000']);
    expect(human.code).toBe(74);
    expect(human.stderr).toBe('mkt: the disk is full: cannot write standard output (ENOSPC)\n  hint: free space on that disk (or raise the file-size limit), then run the command again\n');
    const json = toDevFull(['customers', 'list', '--limit', '3', '--json']);
    expect(json.code).toBe(74);
    expect(JSON.parse(json.stderr.trim()).error.code).toBe('disk_full');
  });
});
