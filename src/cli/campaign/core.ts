import type { CampaignDeps } from '../../campaigns/deps.js';
import type { OpenMode } from '../../db/open.js';
import type { CliContext } from '../context.js';

/**
 * Everything campaign commands need, loaded when a campaign command runs (not at start-up). A
 * command that only reads asks for `read` (a missing database is then an error, never created).
 */
export async function core(ctx: CliContext, mode: OpenMode = 'write') {
  const [create, prepare, send, status, report, spec, compliance] = await Promise.all([
    import('../../campaigns/create.js'),
    import('../../campaigns/prepare.js'),
    import('../../campaigns/send.js'),
    import('../../campaigns/status.js'),
    import('../../campaigns/report.js'),
    import('../../campaigns/spec.js'),
    import('../../campaigns/compliance-hooks.js'),
  ]);
  const repos = await ctx.repositories(mode);
  // the parts not behind the repositories yet (the send path) still take the SQLite store
  const store = ctx.dbTarget.kind === 'sqlite' ? await ctx.store(mode) : undefined;
  // the send path on PostgreSQL: the same pool as the repositories (one per process and URL)
  const pg = ctx.dbTarget.kind === 'postgres' ? await (await import('../../db/pg/open.js')).openPgStore(ctx.dbTarget.url) : undefined;
  const deps: CampaignDeps = { repos, store, pg, workspace: ctx.workspace, env: ctx.io.env, now: () => ctx.now().getTime() };
  return { deps, create, prepare, send, status, report, spec, compliance };
}

export type Core = Awaited<ReturnType<typeof core>>;
