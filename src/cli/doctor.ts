import type { Command } from 'commander';
import type { ActionFactory } from './run.js';

export function registerDoctor(program: Command, action: ActionFactory): void {
  program
    .command('doctor')
    .description('check the workspace in one report: files valid, ${ENV} set, the store (SQLite integrity and permissions; PostgreSQL connection, migrations, grants), each provider; every failure with its fix')
    .action(
      action(async (ctx) => {
        const { runDoctor } = await import('../workspace/doctor.js');
        const report = await runDoctor({ workspace: ctx.workspace, store: ctx.dbTarget, dbPath: ctx.dbPath, env: ctx.io.env, now: () => ctx.now() });
        const c = ctx.colour;
        const mark = { ok: c.green('ok  '), fail: c.red('FAIL'), skip: c.dim('--  ') };
        const width = Math.max(...report.checks.map((k) => k.title.length));
        ctx.result(report, (r) =>
          r.checks.map((k) => `${mark[k.status]} ${k.title.padEnd(width)}  ${k.detail}\n${k.fix ? `     ${' '.repeat(width)}  fix: ${k.fix}\n` : ''}`).join(''),
        );
        const failed = report.checks.filter((k) => k.status === 'fail').length;
        if (failed === 0) return 'ok';
        ctx.info(`${failed} of ${report.checks.length} checks failed`);
        return 'config';
      }),
    );
}
