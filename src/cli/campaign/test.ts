import type { Command } from 'commander';
import type { ActionFactory } from '../run.js';
import { core } from './core.js';

/** `campaign test` flags as commander parsed them (`--no-prefix` makes prefix false). */
export interface ProofFlags {
  to?: string;
  customer?: string;
  prefix?: boolean;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). `--to` is a comma-separated list. */
export function parseProofOptions(flags: ProofFlags): { to: string[]; customer?: string; prefix: boolean } {
  const to = (flags.to ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return { to, ...(flags.customer ? { customer: flags.customer } : {}), prefix: flags.prefix !== false };
}

export function registerTest(group: Command, action: ActionFactory): void {
  group
    .command('test')
    .description('send proofs of the campaign to reviewers through its provider (never touches the ledger, caps or state)')
    .argument('<name>')
    .option('--to <addresses>', 'reviewers, comma-separated: emails, or E.164 numbers for SMS/WhatsApp (default: proof_list in mkt.yaml)')
    .option('--customer <key>', 'customer whose data fills the message (default: the first recipient, else the segment\'s first customer)')
    .option('--no-prefix', `do not mark the email subject with "[TEST] "`)
    .action(
      action<ProofFlags>(async (ctx, [name], flags) => {
        const o = parseProofOptions(flags);
        const [c, { sendProofs }, { loadSettings }] = await Promise.all([core(ctx, 'read'), import('../../campaigns/proof.js'), import('../../compliance/config.js')]);
        const [settings, hooks] = await Promise.all([loadSettings(ctx.workspace, ctx.io.env), c.compliance.loadSendHooks(ctx.workspace, ctx.io.env)]);
        const result = await sendProofs(c.deps, name!, { ...o, proofList: settings.proofList ?? [], unsubscribe: hooks.unsubscribe });
        for (const r of result.refused) ctx.warn(`not sent to ${r.to}: ${r.reason}`);
        ctx.result(result, (r) => r.sent.map((s) => `${s.to}: sent from ${s.sender} (${s.providerMessageId})\n`).join(''));
        ctx.info(`proof of ${result.campaign} rendered with customer ${result.customer.id} (${result.customer.source.replace('_', ' ')}), through ${result.provider}`);
        return result.refused.length ? 'input' : 'ok';
      }),
    );
}
