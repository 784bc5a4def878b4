import { spawnSync } from 'node:child_process';
import { BIN, cliEnv } from './cli.js';

/**
 * Runs a shell snippet inside a real pseudo-terminal `cols` columns wide, through util-linux
 * `script`, and returns everything the terminal received. `$MKT` in the snippet is the built CLI.
 * No CI variable: the process sees a person's terminal.
 */
export function runInPty(snippet: string, opts: { cwd: string; cols?: number; env?: NodeJS.ProcessEnv; timeoutMs?: number }): { code: number; screen: string } {
  const env = { ...cliEnv(opts.env), CI: '', TERM: 'xterm', MKT: `${process.execPath} ${BIN}` };
  const r = spawnSync('script', ['-qfec', `stty cols ${opts.cols ?? 80} rows 40; ${snippet}`, '/dev/null'], {
    cwd: opts.cwd,
    env,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
  });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, screen: r.stdout };
}

/** ANSI escape sequences (colour, cursor, erase) removed: what a person reads. */
export const plain = (s: string) => s.replace(/\u001b\[[0-9;?]*[A-Za-z]/g, '');

/** The lines as drawn: a carriage return starts the line over, as on the terminal. */
export function frames(screen: string): string[] {
  return screen
    .split(/\r?\n/)
    .flatMap((line) => line.split('\r'))
    .map(plain)
    .filter((l) => l.trim() !== '');
}
