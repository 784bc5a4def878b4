import path from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from './run.js';

/** What `mkt init` was asked to do. */
export interface InitCommandOptions {
  /** The folder to write into, absolute. */
  target: string;
}

/**
 * Flags → options, without running anything (test/unit/cli/command-options.test.ts). Not the
 * workspace found upward: init writes where the user stands unless told otherwise (a [dir], or
 * --workspace).
 */
export function parseInitOptions(dir: string | undefined, flags: { workspace?: string }, where: { cwd: string; workspace: string }): InitCommandOptions {
  return { target: dir ? path.resolve(where.cwd, dir) : flags.workspace ? where.workspace : where.cwd };
}

export function registerInit(program: Command, action: ActionFactory): void {
  program
    .command('init')
    .description('scaffold a workspace: providers.yaml (outbox + commented real providers), mkt.yaml, a segment, one template per channel, .gitignore')
    .argument('[dir]', 'folder to write into (default: --workspace, else the current folder)')
    .action(
      action<{ workspace?: string }>(async (ctx, [dir], flags) => {
        const o = parseInitOptions(dir, flags, { cwd: ctx.deps.cwd, workspace: ctx.workspace });
        const { initWorkspace } = await import('../workspace/init.js');
        const result = initWorkspace(o.target);
        const rel = path.relative(ctx.deps.cwd, result.dir) || '.';
        const here = rel.startsWith('..') ? result.dir : rel;
        const cd = here === '.' ? '' : `cd ${here} && `;
        ctx.result(result, (r) =>
          [
            `created a workspace in ${r.dir}:`,
            ...r.created.map((f) => `  ${f}`),
            `  .gitignore (${r.gitignore === 'created' ? 'created' : r.gitignore === 'updated' ? 'added .mkt/' : 'already ignores .mkt/'})`,
            '',
            'next:',
            `  ${cd}mkt doctor`,
            `  ${cd}mkt customers seed --count 200`,
            `  ${cd}mkt segment count subscribers`,
            `  ${cd}mkt template render welcome --customer 1`,
            '',
          ].join('\n'),
        );
      }),
    );
}
