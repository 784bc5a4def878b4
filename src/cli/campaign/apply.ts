import type { Command } from 'commander';
import type { ActionFactory } from '../run.js';
import { core } from './core.js';

/** `campaign apply` flags as commander parsed them. */
export interface ApplyFlags {
  dryRun?: boolean;
  now?: boolean;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseApplyOptions(files: string[], flags: ApplyFlags): { files: string[]; dryRun: boolean; allowPast: boolean } {
  return { files, dryRun: Boolean(flags.dryRun), allowPast: Boolean(flags.now) };
}

export function registerApply(group: Command, action: ActionFactory): void {
  group
    .command('apply')
    .description('make the campaigns in the database what campaigns/*.yaml say: print the plan, then apply it in one transaction')
    .argument('[files...]', 'campaign files (default: every campaigns/*.yaml)')
    .option('--dry-run', 'print the plan only')
    .option('--now', 'accept a schedule that has passed (the campaign is due at once)')
    .action(
      action<ApplyFlags>(async (ctx, files, flags) => {
        const o = parseApplyOptions(files, flags);
        const { applyCampaignFiles } = await import('../../campaigns/apply.js');
        const { planText } = await import('../../campaigns/definition.js');
        const c = await core(ctx);
        const { result, error } = await applyCampaignFiles(c.deps, o.files, o);
        ctx.result(result, (r) => r.plan.map((l) => `${l.name}: ${planText(l)}\n`).join(''));
        if (error) throw error;
        const counts = (a: string) => result.plan.filter((l) => l.action === a).length;
        ctx.info(result.dry_run ? 'dry run: nothing applied' : `applied: ${counts('create')} created, ${counts('update')} updated, ${counts('no_change')} unchanged`);
      }),
    );

  group
    .command('validate')
    .description('check campaign files (every campaigns/*.yaml by default) and what they name, without the database')
    .argument('[files...]', 'campaign files (default: every campaigns/*.yaml)')
    .action(
      action(async (ctx, files) => {
        const { validateCampaignFiles } = await import('../../campaigns/apply.js');
        const { result } = await validateCampaignFiles(ctx.workspace, files);
        ctx.result(result, (r) => r.files.map((f) => `${f.file}: ok (${f.name})\n`).join(''));
      }),
    );
}
