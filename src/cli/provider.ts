import type { Command } from 'commander';
import { InputError, UnavailableError, UsageError } from '../errors.js';
import { renderFields, renderTable } from '../output/table.js';
import type { ActionFactory } from './run.js';

interface TestOptions {
  to?: string;
  template?: string;
  customer?: string;
  text?: string;
  subject?: string;
  from?: string;
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
      action<TestOptions>(async (ctx, [name], opts) => {
        if (!opts.to) throw new UsageError('missing --to <address>');
        if (!opts.template === !opts.text) throw new UsageError('give either --template <name> or --text "…"');
        if (opts.customer && !opts.template) throw new UsageError('--customer goes with --template');
        const { sendTestMessage } = await import('../providers/operations.js');
        const build = opts.template
          ? async (config: { channel: import('../channels.js').Channel }, ref: import('../providers/contract.js').MessageRef) => {
              const [{ loadTemplate, DEMO_CUSTOMER, PREVIEW_EXTRAS, RenderError }, { toOutgoing }] = await Promise.all([import('../templates/index.js'), import('../campaigns/message.js')]);
              const template = await loadTemplate(ctx.workspace, opts.template!, { channel: config.channel });
              let customer = DEMO_CUSTOMER;
              if (opts.customer) {
                const { findCustomer } = await import('../customers/find.js');
                const found = findCustomer(await ctx.store('read'), opts.customer);
                if (!found) throw new InputError('customer_not_found', `no customer matches "${opts.customer}"`, { hint: 'try `mkt customers list`' });
                customer = found;
              }
              const unsubscribe = PREVIEW_EXTRAS.unsubscribe_url;
              try {
                const rendered = template.render({ ...customer, campaign: { name: 'provider-test', id: null }, unsubscribe_url: unsubscribe, now: ctx.now().toISOString() });
                return toOutgoing(rendered, opts.to!, ref, rendered.channel === 'email' ? { url: unsubscribe } : undefined);
              } catch (err) {
                // the message already starts with file:line:col
                if (err instanceof RenderError) throw new InputError(err.code, err.message);
                throw err;
              }
            }
          : undefined;
        const result = await sendTestMessage(
          { workspace: ctx.workspace, env: ctx.io.env, now: () => ctx.now() },
          { name: name!, to: opts.to, ...(opts.from ? { from: opts.from } : {}), ...(opts.text !== undefined ? { text: opts.text } : {}), ...(opts.subject ? { subject: opts.subject } : {}), ...(build ? { build } : {}) },
        );
        ctx.info(`sent through ${result.provider} (${result.type}) from ${result.sender} to ${result.to}`);
        ctx.result(result, (r) => `${r.providerMessageId}\n`);
      }),
    );
}
