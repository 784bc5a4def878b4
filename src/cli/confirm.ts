import { UsageError } from '../errors.js';
import type { CliContext } from './context.js';

/**
 * The one gate for commands that change or lose something on purpose (send, cancel, delete,
 * forget, replace): `--yes` passes; on a terminal the person is asked (default: no); without a
 * terminal it is a usage error (exit 64) that names `--yes`, so a script never hangs on a
 * question and never destroys by accident. Declining is a usage error too: nothing was done.
 *
 * `doing` completes "… needs confirmation", e.g. "cancelling a campaign".
 */
export async function confirmOrRefuse(ctx: CliContext, yes: boolean | undefined, question: string, doing: string): Promise<void> {
  if (yes) return;
  if (!ctx.interactive) {
    throw new UsageError(`${doing} needs confirmation: pass --yes (there is no terminal to ask)`, {
      code: 'confirmation_required',
      hint: 'add --yes to the command to go ahead without a question',
    });
  }
  if (!(await ctx.prompter.confirm(question, false))) throw new UsageError('nothing done: you declined', { code: 'declined' });
}

/** The `-y, --yes` option every confirmed command takes, worded once. */
export const YES_FLAG = ['-y, --yes', 'do not ask for confirmation (required without a terminal)'] as const;
