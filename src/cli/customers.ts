import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { renderFields, renderTable } from '../output/table.js';
import type { Store } from '../db/open.js';
import type { CliContext } from './context.js';
import { normaliseCountry } from '../customers/address.js';
import { mapEntryProblem } from '../customers/fields.js';
import { checkedFlag, collect, listLimit, listOffset, seedCount, seedNumber } from './options.js';
import { confirmOrRefuse, YES_FLAG } from './confirm.js';
import type { ActionFactory } from './run.js';
import { registerCustomerData } from './customer-data.js';

interface ImportFlags {
  format?: 'csv' | 'json' | 'jsonl';
  delimiter?: string;
  map?: string[];
  defaultCountry?: string;
  rejects?: string;
  strict?: boolean;
  dryRun?: boolean;
}

/** `--delimiter` accepts the character itself or a name for the awkward ones. */
function delimiterOption(value: string): string {
  const named: Record<string, string> = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|' };
  const d = named[value.toLowerCase()] ?? value;
  if (d.length !== 1 || d === '"' || d === '\n' || d === '\r') throw new InvalidArgumentError('expected one character (or tab, comma, semicolon, pipe)');
  return d;
}

// checked while parsing, so a bad value is exit 64 before a database is opened
const mapFlag = (value: string, previous: string[] = []) => collect(checkedFlag(mapEntryProblem)(value), previous);
/** libphonenumber loads only when the flag is given (an import of phones needs it anyway). */
const countryFlag = checkedFlag((value) => (normaliseCountry(value) ? undefined : 'expected an ISO 3166 two-letter country code such as DE or GB'));

/**
 * The store a `customers import --dry-run` counts against: the database, opened to read (a dry
 * run creates nothing), or, when there is none yet, an empty one in memory, so the dry run still
 * checks every row and counts them all as inserts, and says so.
 */
async function dryRunStore(ctx: CliContext, opened: { memory?: Store }): Promise<Store> {
  const store = await ctx.existingStore();
  if (store) return store;
  ctx.info(`no database at ${ctx.dbPath} yet: the dry run counts against an empty one and creates nothing`);
  const { openStore } = await import('../db/open.js');
  return (opened.memory = openStore(':memory:'));
}

/** A path as the user typed it when it resolves the same from here (messages then name it that way). */
function userPath(ctx: CliContext, file: string): string {
  return path.resolve(ctx.deps.cwd) === process.cwd() ? file : path.resolve(ctx.deps.cwd, file);
}

const SHOWN = 20;

export function registerCustomers(program: Command, action: ActionFactory): void {
  const group = program.command('customers').description('the local customer store: import, seed, inspect');

  group
    .command('count')
    .description('number of customers in the store')
    .action(
      action(async (ctx) => {
        // through the repositories, so it runs on either store (SQLite or PostgreSQL)
        const n = await (await ctx.repositories('read')).customers.count();
        ctx.result({ count: n }, (r) => `${r.count}\n`);
      }),
    );

  group
    .command('show')
    .description('one customer, by id, external id, email or phone')
    .argument('<key>', 'id, external id, email or phone')
    .action(
      action(async (ctx, [key]) => {
        const { requireCustomer } = await import('../customers/find.js');
        const found = requireCustomer(await ctx.store('read'), key!);
        ctx.result(found, (c) => renderFields(Object.entries(c)));
      }),
    );

  group
    .command('list')
    .description('customers in id order')
    .option('--limit <n>', 'how many (1 to 1,000,000)', listLimit, 20)
    .option('--offset <n>', 'skip this many first', listOffset, 0)
    .action(
      action<{ limit: number; offset: number }>(async (ctx, _args, opts) => {
        const { listCustomers } = await import('../customers/query.js');
        const rows = listCustomers(await ctx.store('read'), opts.limit, opts.offset);
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
  registerCustomerData(group, action);

  group
    .command('import')
    .description('import customers from a CSV, JSON array or JSON Lines file (one transaction; upserts by external_id, email, phone)')
    .argument('<file>', 'the file to import')
    .addOption(new Option('--format <format>', 'file format (default: from the extension)').choices(['csv', 'json', 'jsonl']))
    .option('--delimiter <char>', 'CSV delimiter (default: detected among , ; tab |)', delimiterOption)
    .option('--map <mapping>', '"Source Column=field" (or =attributes.<name>, or =- to skip); repeatable', mapFlag, [])
    .option('--default-country <code>', 'country (ISO 3166 alpha-2) for phone numbers of rows without one', countryFlag)
    .option('--rejects <file>', 'write rejected rows (line, reason, row) to this CSV file')
    .option('--strict', 'fail the whole import on any warning or rejected row')
    .option('--dry-run', 'validate and report; write nothing')
    .action(
      action<ImportFlags>(async (ctx, [file], opts) => {
        const { importCustomers } = await import('../customers/import/index.js');
        const { parseColumnMap } = await import('../customers/fields.js');
        const name = userPath(ctx, file!);
        // opened only once the file and the rejects folder checked out; a dry run only reads
        const opened: { memory?: Store } = {};
        const store = opts.dryRun ? () => dryRunStore(ctx, opened) : () => ctx.store();
        const result = await importCustomers(store, {
          file: name,
          format: opts.format,
          delimiter: opts.delimiter,
          map: parseColumnMap(opts.map ?? []),
          defaultCountry: opts.defaultCountry,
          strict: opts.strict,
          dryRun: opts.dryRun,
          rejectsFile: opts.rejects ? userPath(ctx, opts.rejects) : undefined,
          now: ctx.now(),
        }).finally(() => opened.memory?.close());
        if (!ctx.json) {
          for (const w of result.warning_samples.slice(0, SHOWN)) ctx.warn(`${name}:${w.line}: ${w.reason}`);
          if (result.warnings > SHOWN) ctx.info(`… and ${result.warnings - SHOWN} more warnings (--json lists the first 100)`);
          for (const r of result.rejects.slice(0, SHOWN)) ctx.info(`${ctx.colour.red('rejected:')} ${name}:${r.line}: ${r.reason}`);
          if (result.rejected > SHOWN) ctx.info(`… and ${result.rejected - SHOWN} more rejected rows${opts.rejects ? '' : ' (--rejects <file> writes them all)'}`);
        }
        ctx.result(result, (r) => {
          const counts = `read ${r.read}, inserted ${r.inserted}, updated ${r.updated}, unchanged ${r.unchanged}, rejected ${r.rejected}, warnings ${r.warnings}`;
          return opts.dryRun ? `dry run, nothing written: ${counts}\n` : `imported ${name}: ${counts}\n`;
        });
      }),
    );

  group
    .command('seed')
    .description('add deterministic demo customers (same seed and MKT_NOW: same rows)')
    .option('--count <n>', 'how many customers (1 to 10,000,000)', seedCount, 1000)
    .option('--seed <s>', 'random seed (0 to 4,294,967,295)', seedNumber, 1)
    .option('--replace', 'delete all customers first (asks, or needs --yes)')
    .option(...YES_FLAG)
    .action(
      action<{ count: number; seed: number; replace?: boolean; yes?: boolean }>(async (ctx, _args, opts) => {
        const { seedCustomers } = await import('../customers/seed.js');
        if (opts.replace) {
          const { countCustomers } = await import('../customers/query.js');
          const n = countCustomers(await ctx.store());
          if (n > 0) await confirmOrRefuse(ctx, opts.yes, `Delete all ${n} customers before seeding?`, '--replace (deleting every customer)');
        }
        // The clock advances from MKT_NOW while mkt runs; demo rows must not depend on how long
        // start-up took, so they are dated from MKT_NOW itself when it is set.
        const fixed = ctx.io.env.MKT_NOW ? Date.parse(ctx.io.env.MKT_NOW) : NaN;
        const now = Number.isNaN(fixed) ? ctx.now() : new Date(fixed);
        const result = seedCustomers(await ctx.store(), { count: opts.count, seed: opts.seed, now, replace: opts.replace });
        ctx.result(result, (r) => {
          const removed = r.deleted > 0 ? `removed ${r.deleted} customers, then ` : '';
          return `${removed}seeded ${r.inserted} demo customers (seed ${r.seed}${r.skipped > 0 ? `; ${r.skipped} already present` : ''})\n`;
        });
      }),
    );
}
