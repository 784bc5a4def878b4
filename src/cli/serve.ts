import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { ActionFactory } from './run.js';
import { hostFlag, port as portFlag } from './options.js';

/** What `mkt serve` was asked to do. */
export interface ServeCommandOptions {
  port: number;
  host: string;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseServeOptions(flags: { port: number; host: string }): ServeCommandOptions {
  return { port: flags.port, host: flags.host };
}

export function registerServe(program: Command, action: ActionFactory): void {
  program
    .command('serve')
    .description('HTTP endpoints for one-click unsubscribe, provider feedback (SES, Twilio, Meta) and tracked links')
    .option('--port <n>', 'port (0 = any free port)', portFlag, 8025)
    .option('--host <host>', 'interface to listen on: an IP address of this machine (0.0.0.0 or :: for all) or localhost', hostFlag, '127.0.0.1')
    .action(
      action<{ port: number; host: string }>(async (ctx, _args, flags) => {
        const opts = parseServeOptions(flags);
        const port = opts.port;
        const [{ loadSettings, tokensFor, trackingTokensFor }, { createFeedbackServer }] = await Promise.all([import('../compliance/index.js'), import('../compliance/serve.js')]);
        const settings = await loadSettings(ctx.workspace, ctx.io.env, { feedback: true });
        // either store: SQLite, or PostgreSQL (its spool in the workspace, for when it is down)
        const repos = await ctx.repositories();
        const feedback = await createFeedbackServer({
          store: repos.tracking,
          dbFile: await ctx.spoolBase(),
          settings,
          tokens: tokensFor(settings),
          trackingTokens: settings.tracking ? trackingTokensFor(settings) : undefined,
          now: () => ctx.now().getTime(),
          log: (line) => ctx.info(`${ctx.now().toISOString()} ${line}`),
        });
        const { server } = feedback;
        await new Promise<void>((resolve, reject) => {
          server.once('error', (e: NodeJS.ErrnoException) => reject(new UsageError(`cannot listen on ${opts.host}:${port}: ${e.code ?? e.message}`, { code: 'listen_failed' })));
          server.listen(port, opts.host, () => resolve());
        });
        const address = server.address();
        const actual = typeof address === 'object' && address ? address.port : port;
        const endpoints = {
          listening: `http://${opts.host}:${actual}`,
          unsubscribe: settings.unsubscribe ? '/u/<token>' : null,
          ses: settings.feedback?.ses ? '/feedback/ses' : null,
          twilio: settings.feedback?.twilio ? ['/feedback/twilio/status', '/feedback/twilio/inbound'] : null,
          meta: settings.feedback?.meta ? '/feedback/meta' : null,
          tracking: settings.tracking ? ['/c/<token>', '/o/<token>.gif', '/s/<code>'] : null,
        };
        ctx.result(endpoints, (e) => `listening on ${e.listening} (Ctrl-C stops)\n`);
        await new Promise<void>((resolve) => {
          const stop = () => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            server.close(() => resolve());
            server.closeAllConnections();
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
        // Nothing is answered any more: the last replay of the spool may wait for the lock.
        await feedback.close();
        // the file was moved under the server: its exit says so (78), as a new start on it would
        const moved = feedback.storeMoved();
        if (moved) throw moved;
      }),
    );
}
