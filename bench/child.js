// Runs a node process and samples its peak RSS (VmHWM, the kernel's high-water mark) from
// /proc until it exits, so that memory figures are those of the process a user would run.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Resolves `{ seconds, peakMb, stdout, stderr }`; rejects when the process exits non-zero. */
export function measure(args, env = {}) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    const sample = () => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // the process has just exited
      }
    };
    const timer = setInterval(sample, 50);
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - start) / 1000;
      if (code !== 0) reject(new Error(`${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
      else resolve({ seconds, peakMb: Math.round(peakKb / 1024), stdout, stderr });
    });
  });
}

/**
 * Runs `bench/<file>` in a fresh node process (bench/one.js) with `env` added, and resolves its
 * result. Its progress lines (stderr) pass through.
 */
export function runBenchInChild(file, env = {}) {
  const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'mkt-bench-')), 'result.json');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', path.join(ROOT, 'bench', 'one.js'), file, out], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        if (code !== 0) reject(new Error(`${file} exited ${code}`));
        else resolve(JSON.parse(readFileSync(out, 'utf8')));
      } finally {
        rmSync(path.dirname(out), { recursive: true, force: true });
      }
    });
  });
}
