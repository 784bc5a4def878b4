import path from 'node:path';
import type { Command } from 'commander';
import type { ActionFactory } from './run.js';

export function registerInit(program: Command, action: ActionFactory): void {
  program
    .command('init')
    .description('scaffold a workspace: providers.yaml (outbox + commented real providers), mkt.yaml, a segment, one template per channel, .gitignore')
    .argument('[dir]', 'folder to write into (default: --workspace, else the current folder)')
    .action(
      action<{ workspace?: string }>(async (ctx, [dir], opts) => {
        const { initWorkspace } = await import('../workspace/init.js');
        // not the workspace found upward: init writes where the user stands unless told otherwise
        const target = dir ? path.resolve(ctx.deps.cwd, dir) : opts.workspace ? ctx.workspace : ctx.deps.cwd;
        const result = initWorkspace(target);
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
