import type { Command } from 'commander';
import { UnavailableError, UsageError } from '../errors.js';
import type { TestSendOptions } from '../providers/operations.js';
import { renderFields, renderTable } from '../output/table.js';
import type { ActionFactory } from './run.js';

/** `provider test` flags as commander parsed them. */
export interface TestFlags {
  to?: string;
  template?: string;
  customer?: string;
  text?: string;
  subject?: string;
  from?: string;
}

/** What `provider test` was asked to do: the message to send, and the template to render it from (or none: --text). */
export interface TestCommandOptions {
  to: string;
  template?: string;
  customer?: string;
  send: Omit<TestSendOptions, 'build'>;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseTestOptions(name: string, flags: TestFlags): TestCommandOptions {
  if (!flags.to) throw new UsageError('missing --to <address>');
  if (!flags.template === !flags.text) throw new UsageError('give either --template <name> or --text "…"');
  if (flags.customer && !flags.template) throw new UsageError('--customer goes with --template');
  return {
    to: flags.to,
    ...(flags.template ? { template: flags.template } : {}),
    ...(flags.customer ? { customer: flags.customer } : {}),
    send: { name, to: flags.to, ...(flags.from ? { from: flags.from } : {}), ...(flags.text !== undefined ? { text: flags.text } : {}), ...(flags.subject ? { subject: flags.subject } : {}) },
  };
}

export function registerProvider(program: Command, action: ActionFactory): void {
  const group = program.command('provider').description('the providers of providers.yaml: list, check, send one test message');

  group
    .command('list')
    .description('every provider: name, type, channel, senders, rate (secrets shown as ***)')
    .action(
      action(async (ctx) => {
        const { listProviders } = await import('../providers/load.js');
        const list = await listProviders(ctx.workspace);
        ctx.result(list, (l) =>
          l.length === 0
            ? 'no providers in providers.yaml\n'
            : renderTable(
                ['name', 'type', 'channel', 'senders', 'rate', 'concurrency'],
                l.map((p) => [p.name, p.type, p.channel, p.senders.map((s) => (s.weight === 1 ? s.id : `${s.id} ×${s.weight}`)).join(', '), p.rate ?? '', p.concurrency ?? '']),
              ),
        );
      }),
    );

  group
    .command('check')
    .description('config valid, environment present, then a live read-only call (SES GetAccount, Twilio account, Meta phone number)')
    .argument('<name>', 'provider name')
    .action(
      action(async (ctx, [name]) => {
        const { checkProvider } = await import('../providers/operations.js');
        const report = await checkProvider({ workspace: ctx.workspace, env: ctx.io.env, now: () => ctx.now() }, name!);
        ctx.result(report, (r) =>
          renderFields([
            ['provider', `${r.name} (${r.type}, ${r.channel})`],
            ['defined at', r.source],
            ['config', r.config],
            ['environment', r.env.length ? r.env.map((v) => `${v} set`).join(', ') : 'none needed'],
            ['senders', r.senders.join(', ')],
            ['live check', !r.live.available ? 'not available for this type' : r.live.ok ? 'ok' : 'NOT OK'],
            ...(r.live.available ? Object.entries(r.live.details) : []),
          ]),
        );
        // the call worked but the account cannot send (sending disabled, suspended, shut down): the
        // report above says why; the typed error gives the exit code (69) and the common error line
        if (report.live.available && !report.live.ok) {
          throw new UnavailableError('account_cannot_send', `${report.name}: the provider answered, but this account cannot send now (see the live check)`, {
            hint: "check the account's state in the provider's console",
            details: { provider: report.name, live: report.live.details },
          });
        }
        return 'ok';
      }),
    );

  group
    .command('test')
    .description('send exactly one message through a provider and print its message id')
    .argument('<name>', 'provider name')
    .option('--to <address>', 'recipient: an email address or an E.164 phone number')
    .option('--template <name>', 'render this template (with --customer, or the demo customer)')
    .option('--customer <key>', 'customer id, external id, email or phone whose fields fill the template')
    .option('--text <text>', 'send this text instead of a template (WhatsApp: free-form, only inside the 24 h window)')
    .option('--subject <subject>', 'email subject with --text', undefined)
    .option('--from <sender>', 'one of the provider’s senders (default: the first)')
    .action(
      action<TestFlags>(async (ctx, [name], flags) => {
        const o = parseTestOptions(name!, flags);
        const [{ sendTestMessage }, { templateTestMessage }] = await Promise.all([import('../providers/operations.js'), import('../campaigns/test-message.js')]);
        const build = o.template ? templateTestMessage({ workspace: ctx.workspace, template: o.template, customer: o.customer, to: o.to, now: () => ctx.now(), customers: async () => (await ctx.repositories('read')).customers }) : undefined;
        const result = await sendTestMessage({ workspace: ctx.workspace, env: ctx.io.env, now: () => ctx.now() }, { ...o.send, ...(build ? { build } : {}) });
        ctx.info(`sent through ${result.provider} (${result.type}) from ${result.sender} to ${result.to}`);
        ctx.result(result, (r) => `${r.providerMessageId}\n`);
      }),
    );
}
