/**
 * The GitHub Actions examples under examples/github-actions/, read and run as a runner would:
 * the workflow parsed, a step's `run:` script executed with `bash -eo pipefail` (GitHub's
 * `shell: bash`), and the ${NAME}s the sample workspace files read.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { BIN, cliEnv, ROOT } from './cli.js';

export interface Step {
  id?: string;
  name?: string;
  if?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}

/** A workflow file of examples/github-actions/, parsed. */
export const readWorkflow = (file: string): any => parse(readFileSync(path.join(ROOT, 'examples/github-actions', file), 'utf8'));

export interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs a step's script as GitHub's `shell: bash` does; returns the step's exit code. Async (a fake
 * server may run in this process). `script` names the file, so steps may run at once in one dir.
 */
export function runStep(step: Step, dir: string, env: NodeJS.ProcessEnv, script = 'step.sh'): Promise<StepResult> {
  const file = path.join(dir, script);
  writeFileSync(file, step.run!);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['--noprofile', '--norc', '-eo', 'pipefail', file], {
      cwd: dir,
      env: cliEnv(env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** The ${NAME}s a YAML file's values refer to (`key: ${NAME}`), commented-out examples included. */
export const envRefs = (file: string): string[] => [...readFileSync(path.join(ROOT, file), 'utf8').matchAll(/:\s*"?\$\{([A-Z][A-Z0-9_]*)\}/g)].map((m) => m[1]!);

/** The secrets a job's env exports, each under its own name (`NAME: ${{ secrets.NAME }}`). */
export function exportedSecrets(env: Record<string, string>): string[] {
  return Object.entries(env)
    .filter(([, v]) => v.includes('secrets.'))
    .map(([name, value]) => {
      if (value !== `\${{ secrets.${name} }}`) throw new Error(`${name} is exported from another secret: ${value}`);
      return name;
    });
}

/** Everything the step printed up to its JSON result's last `}`, parsed. */
export const jsonOf = (stdout: string): unknown => JSON.parse(stdout.slice(0, stdout.lastIndexOf('}') + 1));

/** Makes `dir` a repository where `npm ci` has run: ./node_modules/.bin/mkt is the built CLI. */
export function installMkt(dir: string): void {
  writeFileSync(path.join(dir, 'package.json'), '{ "name": "marketing", "private": true }\n');
  mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(BIN, path.join(dir, 'node_modules', '.bin', 'mkt'));
}
