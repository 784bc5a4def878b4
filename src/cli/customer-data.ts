/**
 * `mkt customers history|export|forget KEY`: one person's data (src/customers/data.ts).
 * History is a read command (--json); export is always JSON (it is the document a person asked
 * for); forget erases, so it asks on a terminal and needs --yes without one.
 */
import type { Command } from 'commander';
import type { CustomerHistory } from '../customers/data.js';
import { renderFields, renderTable } from '../output/table.js';
import { confirmOrRefuse, YES_FLAG } from './confirm.js';
import type { ActionFactory } from './run.js';
import type { CliContext } from './context.js';

/** mkt.yaml's tracking.individual: whether campaigns without their own setting kept per-person engagement. */
async function individualByDefault(ctx: CliContext): Promise<boolean> {
  const { loadSettings } = await import('../compliance/index.js');
  return (await loadSettings(ctx.workspace, ctx.io.env)).tracking?.individual ?? false;
}

function historyText(h: CustomerHistory): string {
  const who = [h.customer.email, h.customer.phone, h.customer.external_id && `external id ${h.customer.external_id}`].filter(Boolean).join(', ');
  const out = [`customer ${h.customer.id} (${who})\n`];
  out.push(
    h.messages.length === 0
      ? 'no messages\n'
      : renderTable(
          ['campaign', 'channel', 'state', 'sent', 'delivery', 'opens', 'clicks'],
          h.messages.map((m) => {
            const e = m.engagement;
            const shown = (n: number, machine: number) => (e.detail === 'aggregate' ? 'n/a' : machine > 0 ? `${n} (+${machine} machine)` : String(n));
            return [m.campaign, m.channel, m.state, m.sent_at, m.delivery_status ?? (m.state === 'sent' ? 'no report yet' : ''), shown(e.opens, e.machine_opens), shown(e.clicks, e.machine_clicks)];
          }),
        ),
  );
  const clicks = h.messages.flatMap((m) => m.engagement.events.filter((e) => e.kind === 'click').map((e) => [m.campaign, e.at, e.url, e.machine ? `machine (${e.reason ?? '?'})` : 'human'] as const));
  if (clicks.length) out.push('\nclicks\n', renderTable(['campaign', 'at', 'url', 'by'], clicks.map((c) => [...c])));
  out.push(
    h.suppressions.length === 0 ? '\nnot suppressed\n' : '\nsuppressions\n' + renderTable(['channel', 'address', 'reason', 'source', 'since'], h.suppressions.map((s) => [s.channel, s.address, s.reason, s.source, s.at])),
  );
  out.push(`\nunsubscribes: ${h.unsubscribes.length === 0 ? 'none' : h.unsubscribes.map((u) => `${u.channel} (${u.reason}, ${u.at})`).join(', ')}\n`);
  if (h.note) out.push(`\nnote: ${h.note}\n`);
  return out.join('');
}

export function registerCustomerData(group: Command, action: ActionFactory): void {
  group
    .command('history')
    .description("one customer's messages: delivery, opens, clicks, suppressions, unsubscribes")
    .argument('<key>', 'id, external id, email or phone')
    .action(
      action(async (ctx, [key]) => {
        const { customerHistory } = await import('../customers/data.js');
        const repos = await ctx.repositories('read');
        ctx.result(await customerHistory(repos.customerData, repos.customers, key!, await individualByDefault(ctx)), historyText);
      }),
    );

  group
    .command('export')
    .description('everything mkt holds about one customer, as JSON (a data subject access request)')
    .argument('<key>', 'id, external id, email or phone')
    .action(
      action(async (ctx, [key]) => {
        const { customerExport } = await import('../customers/data.js');
        const repos = await ctx.repositories('read');
        const doc = await customerExport(repos.customerData, repos.customers, key!, ctx.now().getTime(), await individualByDefault(ctx));
        // the document is the result in either mode: JSON is what the person receives
        ctx.result(doc, (d) => JSON.stringify(d, null, 2) + '\n');
      }),
    );

  group
    .command('forget')
    .description('erase one customer (any tracking mode); keeps only a hash so they are never messaged again')
    .argument('<key>', 'id, external id, email or phone')
    .option(...YES_FLAG)
    .action(
      action<{ yes?: boolean }>(async (ctx, [key], opts) => {
        const { customerToForget, forgetCustomer } = await import('../customers/data.js');
        const repos = await ctx.repositories();
        const who = await customerToForget(repos.customers, key!);
        const label = [who.email, who.phone].filter(Boolean).join(', ') || `external id ${who.external_id}`;
        await confirmOrRefuse(ctx, opts.yes, `Erase customer ${who.id} (${label}) and anonymise their ledger rows? This cannot be undone.`, 'forgetting a customer');
        const r = await forgetCustomer(repos.customerData, who, ctx.now().getTime());
        ctx.result(r, (x) =>
          renderFields([
            ['forgot customer', x.customer_id],
            ['address hashes kept (never messaged again)', x.hashes_kept],
            ['ledger rows anonymised', x.ledger_rows_anonymised],
            ['pending messages skipped', x.pending_skipped],
            ['suppressions replaced by the hash', x.suppressions_removed],
            ['provider events blanked', x.feedback_events_anonymised],
            ['engagement events deleted', x.engagement_events_removed],
          ]),
        );
      }),
    );
}
