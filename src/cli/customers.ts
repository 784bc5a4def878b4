import type { Command } from 'commander';
import { InputError } from '../errors.js';
import { renderFields, renderTable } from '../output/table.js';
import { positiveInt } from './options.js';
import type { ActionFactory } from './run.js';

export function registerCustomers(program: Command, action: ActionFactory): void {
  const group = program.command('customers').description('the local customer store: import, seed, inspect');

  group
    .command('count')
    .description('number of customers in the store')
    .action(
      action(async (ctx) => {
        const { countCustomers } = await import('../customers/query.js');
        const n = countCustomers(await ctx.store());
        ctx.result({ count: n }, (r) => `${r.count}\n`);
      }),
    );

  group
    .command('show')
    .description('one customer, by id, external id, email or phone')
    .argument('<key>', 'id, external id, email or phone')
    .action(
      action(async (ctx, [key]) => {
        const { findCustomer } = await import('../customers/query.js');
        const found = findCustomer(await ctx.store(), key!);
        if (!found) throw new InputError('customer_not_found', `no customer matches "${key}"`, { hint: 'try `mkt customers list`' });
        ctx.result(found, (c) => renderFields(Object.entries(c)));
      }),
    );

  group
    .command('list')
    .description('customers in id order')
    .option('--limit <n>', 'how many', positiveInt, 20)
    .option('--offset <n>', 'skip this many first', (v) => Number(v), 0)
    .action(
      action<{ limit: number; offset: number }>(async (ctx, _args, opts) => {
        const { listCustomers } = await import('../customers/query.js');
        const rows = listCustomers(await ctx.store(), opts.limit, opts.offset);
        ctx.result(rows, (list) =>
          renderTable(
            ['id', 'email', 'phone', 'name', 'country', 'ltv', 'consent'],
            list.map((c) => [
              c.id,
              c.email,
              c.phone,
              [c.first_name, c.last_name].filter(Boolean).join(' '),
              c.country,
              c.lifetime_value,
              [c.email_opt_in && 'email', c.sms_opt_in && 'sms', c.whatsapp_opt_in && 'whatsapp'].filter(Boolean).join(','),
            ]),
          ),
        );
      }),
    );
}
