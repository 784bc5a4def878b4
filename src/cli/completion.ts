import path from 'node:path';
import { Argument, type Command } from 'commander';
import type { ActionFactory } from './run.js';
import { SHELLS, type Shell } from './completion-scripts.js';

export function registerCompletion(program: Command, action: ActionFactory): void {
  program
    .command('completion')
    .description('print a shell completion script: commands, flags and workspace names (segments, templates, providers, campaigns)')
    .addArgument(new Argument('<shell>', 'the shell').choices(SHELLS))
    .action(
      action(async (ctx, [shell]) => {
        const { completionScript } = await import('./completion-scripts.js');
        ctx.io.stdout.write(completionScript(shell as Shell));
      }),
    );

  // What the scripts call on every TAB: the words after `mkt`, the last one being completed.
  program
    .command('__complete', { hidden: true })
    .argument('[words...]')
    .allowUnknownOption()
    .helpOption(false)
    .action(
      action(async (ctx, words) => {
        const [{ wanted, globalValue }, { workspaceNames }, { defaultDbPath }] = await Promise.all([
          import('./complete.js'),
          import('../workspace/names.js'),
          import('../workspace/locate.js'),
        ]);
        const w = wanted(program, words.length ? words : ['']);
        let lines: string[] = [];
        if (w.kind === 'candidates') lines = w.candidates.map((c) => `${c.value}\t${c.description}`);
        else if (w.kind === 'names') {
          // the workspace the typed command is about: its own -w / --db, else the usual lookup
          const ws = globalValue(words, ['-w', '--workspace']);
          const workspace = ws ? path.resolve(ctx.deps.cwd, ws) : ctx.workspace;
          const db = globalValue(words, ['--db']);
          const dbPath = db ? path.resolve(ctx.deps.cwd, db) : ws ? (ctx.io.env.MKT_DB ? path.resolve(ctx.deps.cwd, ctx.io.env.MKT_DB) : defaultDbPath(workspace)) : ctx.dbPath;
          const names = await workspaceNames(w.names, workspace, dbPath);
          lines = names.filter((n) => n.startsWith(w.prefix)).map((n) => `${n}\t${w.names.replace(/s$/, '')}`);
        }
        ctx.io.stdout.write(lines.length ? lines.join('\n') + '\n' : '');
      }),
    );
}
