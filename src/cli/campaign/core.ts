import type { CliContext } from '../context.js';

/** Everything campaign commands need, loaded when a campaign command runs (not at start-up). */
export async function core(ctx: CliContext) {
  const [create, prepare, send, status, report, spec, compliance] = await Promise.all([
    import('../../campaigns/create.js'),
    import('../../campaigns/prepare.js'),
    import('../../campaigns/send.js'),
    import('../../campaigns/status.js'),
    import('../../campaigns/report.js'),
    import('../../campaigns/spec.js'),
    import('../../campaigns/compliance-hooks.js'),
  ]);
  const store = await ctx.store();
  const deps = { store, workspace: ctx.workspace, env: ctx.io.env, now: () => ctx.now().getTime() };
  return { deps, create, prepare, send, status, report, spec, compliance };
}

export type Core = Awaited<ReturnType<typeof core>>;
