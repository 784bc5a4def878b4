import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram, main } from '../../src/cli/main.js';
import { noPrompter } from '../../src/cli/prompter.js';
import { bufferIo } from '../support/buffer-io.mjs';

/** Every command path below mkt, groups and leaves, from the real program. */
function allPaths(): string[][] {
  const program = buildProgram(bufferIo(), { prompter: noPrompter(), now: () => new Date(), cwd: process.cwd() }, { exitCode: 0 });
  const out: string[][] = [];
  const walk = (cmd: Command, path: string[]) => {
    for (const sub of cmd.commands) {
      // hidden plumbing (`__complete`) has no help page of its own
      if ((sub as unknown as { _hidden?: boolean })._hidden) continue;
      out.push([...path, sub.name()]);
      walk(sub, [...path, sub.name()]);
    }
  };
  walk(program, []);
  return out;
}

async function help(args: string[]): Promise<{ code: number; out: string }> {
  const io = bufferIo();
  const code = await main(['node', 'mkt', ...args], io);
  return { code, out: io.out() };
}

describe('--help', () => {
  const paths = allPaths();

  it('finds the commands', () => {
    expect(paths.map((p) => p.join(' '))).toEqual(expect.arrayContaining(['campaign send', 'template render', 'serve', 'suppress remove']));
  });

  it.each(paths.map((p) => [p.join(' '), p]))('mkt %s --help has Examples and the global options', async (_name, path) => {
    const r = await help([...(path), '--help']);
    expect(r.code).toBe(0);
    const examples = r.out.slice(r.out.indexOf('\nExamples:\n'));
    expect(r.out).toContain('\nExamples:\n');
    // each example is a real command line of this command
    expect(examples).toContain(`  mkt ${(path).join(' ')}`);
    expect(r.out).toContain('Global Options:');
    expect(r.out).toContain('--workspace <dir>');
  });

  it('mkt --help has Examples too', async () => {
    expect((await help(['--help'])).out).toContain('\nExamples:\n  mkt demo');
  });

  it('mkt help campaign send is the send help, not the group help', async () => {
    const viaHelp = await help(['help', 'campaign', 'send']);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.out).toBe((await help(['campaign', 'send', '--help'])).out);
    expect(viaHelp.out).toMatch(/^Usage: mkt campaign send /);
    expect((await help(['help', 'campaign'])).out).toMatch(/^Usage: mkt campaign /);
  });
});
