/**
 * `mkt completion bash|zsh|fish`: the bash script is sourced in a real bash and driven the way
 * readline drives it (COMP_WORDS / COMP_CWORD); the candidates come from the live commander
 * program (so they cannot drift) and from the workspace, read without creating state.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/main.js';
import { noPrompter } from '../../src/cli/prompter.js';
import { bufferIo } from '../support/buffer-io.mjs';
import { BIN, cliEnv, runCli, tempWorkspace } from '../support/cli.js';

let shim: string;
let script: string;
let ws: ReturnType<typeof tempWorkspace>;
let other: ReturnType<typeof tempWorkspace>;

beforeAll(() => {
  // `mkt` on PATH, as after an install: the script calls it by name
  shim = mkdtempSync(path.join(os.tmpdir(), 'mkt-bin-'));
  writeFileSync(path.join(shim, 'mkt'), `#!/bin/sh\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(path.join(shim, 'mkt'), 0o755);
  const r = runCli(['completion', 'bash']);
  expect(r.code, r.stderr).toBe(0);
  script = path.join(shim, 'mkt.bash');
  writeFileSync(script, r.stdout);
  ws = tempWorkspace(true);
  expect(runCli(['customers', 'seed', '--count', '30'], { cwd: ws.dir }).code).toBe(0);
  expect(runCli(['campaign', 'create', '--name', 'spring-promo', '--channel', 'email', '--segment', 'everyone-email', '--provider', 'outbox', '--template', 'spring-sale'], { cwd: ws.dir }).code).toBe(0);
  other = tempWorkspace();
  expect(runCli(['init'], { cwd: other.dir }).code).toBe(0);
});
afterAll(() => {
  rmSync(shim, { recursive: true, force: true });
  ws?.cleanup();
  other?.cleanup();
});

/** What bash offers after `mkt <line>` (the cursor at its end; a trailing space starts a new word). */
function bashComplete(line: string, cwd = ws.dir): string[] {
  const words = ['mkt', ...line.split(' ')];
  const quoted = words.map((w) => `'${w.replace(/'/g, `'\\''`)}'`).join(' ');
  const program = `source ${JSON.stringify(script)}
complete -p mkt
COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; COMP_LINE=${JSON.stringify(words.join(' '))}; COMP_POINT=\${#COMP_LINE}
_mkt_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', program], { cwd, env: cliEnv({ PATH: `${shim}:${process.env.PATH}` }), encoding: 'utf8', timeout: 30_000 });
  expect(r.status, r.stderr).toBe(0);
  const [registration, ...out] = r.stdout.split('\n');
  expect(registration).toBe('complete -o default -F _mkt_complete mkt');
  return out.filter((l) => l !== '').sort();
}

function program(): Command {
  return buildProgram(bufferIo(), { prompter: noPrompter(), now: () => new Date(), cwd: ws.dir }, { exitCode: 0 });
}
const shown = (c: Command) => c.commands.filter((s) => !(s as unknown as { _hidden: boolean })._hidden).map((s) => s.name());

describe('mkt completion', { timeout: 120_000 }, () => {
  it('completes every command and subcommand of the program (generated from it)', () => {
    const p = program();
    expect(bashComplete('')).toEqual(shown(p).sort());
    expect(bashComplete('')).not.toContain('__complete');
    for (const group of p.commands.filter((c) => c.commands.length > 0)) {
      expect(bashComplete(`${group.name()} `), group.name()).toEqual(shown(group).sort());
    }
    expect(bashComplete('campaign s')).toEqual(['schedule', 'send', 'show', 'status']);
    expect(bashComplete('db ')).toEqual(['backup', 'copy', 'migrate', 'replay-spool']);
  });

  it('completes flags of the subcommand and the global ones', () => {
    const p = program();
    const send = p.commands.find((c) => c.name() === 'campaign')!.commands.find((c) => c.name() === 'send')!;
    const flags = bashComplete('campaign send --');
    for (const o of [...send.options, ...p.options]) if (o.long && !o.hidden) expect(flags, o.long).toContain(o.long);
    expect(flags).toContain('--help');
    expect(bashComplete('campaign send --ye')).toEqual(['--yes']);
    expect(bashComplete('db backup x.db --f')).toEqual(['--force']);
  });

  it('completes names from the workspace: segments, templates, providers, campaigns, channels', () => {
    expect(bashComplete('segment count ')).toEqual(['churn-risk', 'everyone-email', 'high-value-dach', 'recent-buyers', 'sms-optin-eu', 'whatsapp-optin']);
    expect(bashComplete('segment count high')).toEqual(['high-value-dach']);
    expect(bashComplete('campaign create --template spr')).toEqual(['spring-sale', 'spring_sale']);
    expect(bashComplete('campaign create --provider outbox-')).toEqual(['outbox-sms', 'outbox-whatsapp']);
    expect(bashComplete('campaign create --channel ')).toEqual(['email', 'sms', 'whatsapp']);
    expect(bashComplete('campaign create --name x --segment ever')).toEqual(['everyone-email']);
    expect(bashComplete('campaign status ')).toEqual(['spring-promo']);
    expect(bashComplete('provider check outbox-w')).toEqual(['outbox-whatsapp']);
    expect(bashComplete('template render wel')).toEqual(['welcome']);
    expect(bashComplete('completion ')).toEqual(['bash', 'fish', 'zsh']);
    // names of the workspace the typed command points at
    expect(bashComplete(`-w ${other.dir} segment count `)).toEqual(['subscribers']);
    expect(bashComplete(`-w ${other.dir} campaign status `)).toEqual([]);
  });

  it('reads the workspace without creating state', () => {
    const fresh = tempWorkspace(true);
    try {
      expect(bashComplete('campaign status ', fresh.dir)).toEqual([]);
      expect(bashComplete('segment preview chu', fresh.dir)).toEqual(['churn-risk']);
      expect(existsSync(path.join(fresh.dir, '.mkt'))).toBe(false);
    } finally {
      fresh.cleanup();
    }
  });

  it('prints zsh and fish scripts that forward to the same completer; refuses other shells', () => {
    const zsh = runCli(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout.split('\n')[0]).toBe('#compdef mkt');
    expect(zsh.stdout).toContain('mkt __complete -- "${(@)words[2,CURRENT]}"');
    expect(zsh.stdout).toContain('compdef _mkt mkt');
    const fish = runCli(['completion', 'fish']);
    expect(fish.code).toBe(0);
    expect(fish.stdout).toContain("complete -c mkt -f -a '(__mkt_complete)'");
    expect(fish.stdout).toMatch(/function __mkt_complete\n[\s\S]*mkt __complete -- \$words\[2\.\.-1\][\s\S]*\nend\n/);
    for (const [shell, text] of [['zsh', zsh.stdout], ['fish', fish.stdout]] as const) {
      const found = spawnSync('sh', ['-c', `command -v ${shell}`], { encoding: 'utf8' });
      if (found.status !== 0) continue; // not installed here: the structure checks above stand in
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-comp-'));
      try {
        const file = path.join(dir, `mkt.${shell}`);
        writeFileSync(file, text);
        const parsed = spawnSync(shell, ['-n', file], { encoding: 'utf8' });
        expect(parsed.status, parsed.stderr).toBe(0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
    // and the answer they print is `value<TAB>description`
    const raw = runCli(['__complete', '--', 'campaign', 'sen']);
    expect(raw.stdout).toMatch(/^send\t.+\n$/);
    const bad = runCli(['completion', 'powershell']);
    expect(bad.code).toBe(64);
  });
});
