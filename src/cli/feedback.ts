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
        const [{ importFeedback }, { loadSettings }] = await Promise.all([import('../compliance/feedback/import.js'), import('../compliance/index.js')]);
        // the privacy mode decides whether a reported open or click is also kept per recipient
        const { tracking } = await loadSettings(ctx.workspace, ctx.io.env);
        const r = await importFeedback((await ctx.repositories()).tracking, { ...o, now: ctx.now().getTime(), individual: tracking?.individual ?? false });
        ctx.result(r, (x) =>
          renderFields([
            ['events', x.events],
            ['matched in the ledger', x.matched],
            ['unmatched', x.unmatched],
            ...Object.entries(x.delivery).map(([k, v]) => [`now ${k}`, v] as [string, unknown]),
            ...Object.entries(x.engagement).map(([k, v]) => [`engagement ${k.replace('_', ' ')}`, v] as [string, unknown]),
            ['unknown proven sent', x.proven_sent],
            ['suppressed', x.suppressed],
            ['suppressions lifted', x.lifted],
            // nothing is dropped unsaid: every event type that changed nothing, with its count
            ...Object.entries(x.ignored).map(([k, v]) => [`ignored ${k}`, v] as [string, unknown]),
          ]),
        );
      }),
    );
}
