import type { Command } from 'commander';
import { CliContext, type ContextDeps, type GlobalOptions } from './context.js';
import type { Io } from '../output/io.js';

/** A command handler: returns an exit code (0 when nothing is returned) or throws a typed error. */
export type Handler<O = Record<string, unknown>> = (ctx: CliContext, args: string[], opts: O) => Promise<number | void>;

/** Wraps a handler as a commander action. `main` creates one per run to capture the exit code. */
export type ActionFactory = <O = Record<string, unknown>>(handler: Handler<O>) => (...raw: unknown[]) => Promise<void>;

export function makeActionFactory(io: Io, deps: ContextDeps, state: { exitCode: number; ctx?: CliContext }): ActionFactory {
  return <O>(handler: Handler<O>) =>
    async (...raw: unknown[]) => {
      // commander passes (...positionals, options, command)
      const command = raw[raw.length - 1] as Command;
      const args = raw.slice(0, -2).flatMap((a) => (Array.isArray(a) ? a.map(String) : a === undefined ? [] : [String(a)]));
      const opts = command.optsWithGlobals<O & GlobalOptions>();
      const ctx = new CliContext(io, opts, deps);
      state.ctx = ctx;
      try {
        const code = await handler(ctx, args, opts);
        state.exitCode = code ?? 0;
      } finally {
        await ctx.close();
      }
    };
}
