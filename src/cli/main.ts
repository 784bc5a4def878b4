import { Command, CommanderError, Option } from 'commander';
import { MktError, UsageError } from '../errors.js';
import { EXIT, exitCodeFor } from '../output/exit-codes.js';
import { processIo, type Io } from '../output/io.js';
import { stdoutFailure } from '../output/pipes.js';
import { redact } from '../util/redact.js';
import { registerCommands } from './commands.js';
import { addExamples } from './examples.js';
import { inquirerPrompter, noPrompter, type Prompter } from './prompter.js';
import { makeActionFactory } from './run.js';
import { internalMessage, internalStack } from './internal-error.js';
import type { CliContext } from './context.js';

export interface MainDeps {
  prompter?: Prompter;
  now?: () => Date;
  cwd?: string;
}

/**
 * The wall clock. MKT_NOW sets where it starts (reproducible runs and tests); it still
 * advances from there, because pacing, retries and leases need time to pass.
 */
function clockFrom(env: NodeJS.ProcessEnv): () => Date {
  const start = env.MKT_NOW ? Date.parse(env.MKT_NOW) : NaN;
  if (Number.isNaN(start)) return () => new Date();
  const t0 = performance.now();
  return () => new Date(start + Math.floor(performance.now() - t0));
}

export function buildProgram(io: Io, deps: Required<MainDeps>, state: { exitCode: number; ctx?: CliContext }): Command {
  const program = new Command('mkt')
    .description('Marketing campaign operations: email, SMS and WhatsApp from the command line')
    .version('0.1.0', '-V, --version')
    .option('-w, --workspace <dir>', 'workspace folder (default: nearest folder upward holding providers.yaml, else the current folder)')
    .option('--db <path>', 'database file (default: <workspace>/.mkt/mkt.db, or MKT_DB)')
    .option('--json', 'print the result as one JSON document on stdout')
    .addOption(new Option('--no-color', 'no colours in output'))
    .option('-v, --verbose', 'more detail on stderr')
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
      // commander's own usage errors are reported by main in the common error format
      outputError: () => {},
    });
  program.exitOverride();
  // subcommand help lists mkt's global options too (commands inherit this setting when created)
  program.configureHelp({ showGlobalOptions: true });
  const action = makeActionFactory(io, deps, state);
  registerCommands(program, action);
  addExamples(program);
  // exitOverride must be set on every subcommand so that none of them exits the process
  const override = (cmd: Command) => {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s), outputError: () => {} });
    cmd.commands.forEach(override);
  };
  program.commands.forEach(override);
  return program;
}

/** Prints an error in the common format: JSON on stderr with --json, else one readable line (+ hint). */
function reportError(io: Io, error: unknown, json: boolean, verbose: boolean): void {
  const known = error instanceof MktError;
  const payload = known
    ? error.toJSON()
    : { code: 'internal', message: internalMessage(error), hint: 'this is a bug in mkt; please report it with --verbose output' };
  if (json) {
    io.stderr.write(redact(JSON.stringify({ error: payload }) + '\n'));
  } else {
    let text = `mkt: ${payload.message}\n`;
    if (payload.hint) text += `  hint: ${payload.hint}\n`;
    if (verbose && error instanceof Error && error.stack && !known) text += internalStack(error) + '\n';
    if (verbose && error instanceof Error && error.cause instanceof Error) text += `  cause: ${internalMessage(error.cause)}\n`;
    io.stderr.write(redact(text));
  }
}

/**
 * `mkt help campaign send` is `mkt campaign send --help` (commander's help command only looks
 * one level down and would show the group's help).
 */
function helpAsFlag(argv: string[]): string[] {
  const [node = 'node', bin = 'mkt', first, ...rest] = argv;
  return first === 'help' && rest.length > 1 ? [node, bin, ...rest, '--help'] : argv;
}

/**
 * A command that succeeded but whose stdout could not be written (a full disk, an I/O error)
 * did not deliver its data: that is exit 74 with the reason, not a stack trace and exit 1.
 */
async function withOutputFailure(io: Io, code: number, json: boolean, verbose: boolean): Promise<number> {
  const failed = await stdoutFailure();
  if (!failed) return code;
  const { fileError } = await import('../util/private-file.js');
  const typed = fileError(failed, 'standard output');
  reportError(io, typed, json, verbose);
  return code === EXIT.ok ? exitCodeFor(typed) : code;
}

/** Runs the CLI and returns the exit code. Never exits the process itself. */
export async function main(argv: string[], io: Io = processIo(), deps: MainDeps = {}): Promise<number> {
  const interactive = io.stdinIsTTY && Boolean(io.stdout.isTTY) && !io.env.CI;
  const full: Required<MainDeps> = {
    prompter: deps.prompter ?? (interactive ? inquirerPrompter() : noPrompter()),
    now: deps.now ?? clockFrom(io.env),
    cwd: deps.cwd ?? process.cwd(),
  };
  const state: { exitCode: number; ctx?: CliContext } = { exitCode: EXIT.ok };
  const program = buildProgram(io, full, state);
  const json = argv.includes('--json');
  const verbose = argv.includes('--verbose') || argv.includes('-v');
  try {
    if (argv.length <= 2) {
      program.outputHelp();
      return EXIT.ok;
    }
    await program.parseAsync(helpAsFlag(argv));
    return await withOutputFailure(io, state.exitCode, json, verbose);
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help') return EXIT.ok;
      const message = error.message.replace(/^error: /, '');
      reportError(io, new UsageError(message, { code: 'usage', hint: 'run with --help for usage' }), json, verbose);
      return EXIT.usage;
    }
    // a raw storage failure (locked, corrupt, disk full, read-only) gets its typed error here
    const { storageError } = await import('../db/faults.js');
    const typed = storageError(error, state.ctx?.dbPath ?? '') ?? error;
    reportError(io, typed, json, verbose);
    return exitCodeFor(typed);
  }
}
