import type { Command } from 'commander';
import { renderFields } from '../output/table.js';
import type { ActionFactory } from './run.js';
import { FEEDBACK_SOURCES } from '../compliance/vocabulary.js';
import { choiceFlag } from './options.js';

/** What `feedback import` was asked to do. */
export interface FeedbackImportOptions {
  file: string;
  /** For events without a "source" field. */
  source?: string;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseFeedbackImportOptions(file: string, flags: { source?: string }): FeedbackImportOptions {
  return { file, ...(flags.source ? { source: flags.source } : {}) };
}

export function registerFeedback(program: Command, action: ActionFactory): void {
  const group = program.command('feedback').description('provider feedback: bounces, complaints, delivery status, STOP keywords');

  group
    .command('import')
    .description('apply exported SES / Twilio / Meta events (JSON array or JSON Lines), all or nothing')
    .argument('<file>')
    .option('--source <source>', 'ses, twilio or meta, for events without a "source" field', choiceFlag(FEEDBACK_SOURCES))
    .action(
      action<{ source?: string }>(async (ctx, [file], flags) => {
        const o = parseFeedbackImportOptions(file!, flags);
        const { importFeedback } = await import('../compliance/feedback/import.js');
        const r = await importFeedback(await ctx.store(), { ...o, now: ctx.now().getTime() });
        ctx.result(r, (x) =>
          renderFields([
            ['events', x.events],
            ['matched in the ledger', x.matched],
            ['unmatched', x.unmatched],
            ...Object.entries(x.delivery).map(([k, v]) => [`now ${k}`, v] as [string, unknown]),
            ['unknown proven sent', x.proven_sent],
            ['suppressed', x.suppressed],
            ['suppressions lifted', x.lifted],
          ]),
        );
      }),
    );
}
