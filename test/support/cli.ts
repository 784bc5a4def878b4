import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = path.join(ROOT, 'bin', 'mkt.js');

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  timeoutMs?: number;
}

/** A clean environment: no CI colour surprises, no inherited MKT_* settings, no AWS warnings. */
export function cliEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  // MKT_UNSUBSCRIBE_SECRET: the sample mkt.yaml signs unsubscribe links with it (override with '' to test its absence)
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LANG: 'C.UTF-8', TZ: 'UTC', CI: 'true', MKT_UNSUBSCRIBE_SECRET: 'test-unsubscribe-secret-0123456789' };
  return { ...env, ...extra };
}

/** Runs the built CLI as a user would: a separate process, real files, real database. */
export function runCli(args: string[], opts: CliOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: cliEnv(opts.env),
    input: opts.input ?? '',
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Async twin of runCli, for tests that run fake servers in this process. */
export function runCliAsync(args: string[], opts: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: opts.cwd ?? ROOT, env: cliEnv(opts.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** A fresh temporary workspace; with `sample`, a copy of the repo's own sample workspace. */
export function tempWorkspace(sample = false): { dir: string; db: string; cleanup: () => void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-test-'));
  if (sample) {
    for (const entry of ['providers.yaml', 'templates', 'segments', 'mkt.yaml']) {
      try {
        cpSync(path.join(ROOT, entry), path.join(dir, entry), { recursive: true });
      } catch {
        // not every sample file exists yet
      }
    }
  }
  return { dir, db: path.join(dir, '.mkt', 'mkt.db'), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Runs a shell snippet as a user who installed mkt (`npm link` / a global install) would: `mkt`
 * on PATH is the built CLI. For README blocks and printed hints, which are written as `mkt …`.
 */
export function runShell(script: string, opts: CliOptions = {}): CliResult {
  const shim = mkdtempSync(path.join(os.tmpdir(), 'mkt-path-'));
  try {
    symlinkSync(BIN, path.join(shim, 'mkt'));
    const env = cliEnv(opts.env);
    const r = spawnSync('bash', ['--noprofile', '--norc', '-euo', 'pipefail', '-c', script], {
      cwd: opts.cwd ?? ROOT,
      env: { ...env, PATH: `${shim}${path.delimiter}${env.PATH ?? ''}` },
      input: opts.input ?? '',
      encoding: 'utf8',
      timeout: opts.timeoutMs ?? 120_000,
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
  } finally {
    rmSync(shim, { recursive: true, force: true });
  }
}
