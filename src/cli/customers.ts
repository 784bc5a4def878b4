import path from 'node:path';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { renderFields, renderTable } from '../output/table.js';
import type { Store } from '../db/open.js';
import type { ImportTarget } from '../customers/import/index.js';
import type { CliContext } from './context.js';
import { normaliseCountry } from '../customers/address.js';
import { mapEntryProblem, parseColumnMap, type ColumnMap } from '../customers/fields.js';
import { checkedFlag, collect, listLimit, listOffset, seedCount, seedNumber } from './options.js';
import { confirmOrRefuse, YES_FLAG } from './confirm.js';
import type { ActionFactory } from './run.js';
import { registerCustomerData } from './customer-data.js';
import { count } from '../util/plural.js';
import { envWholeNumber } from './env-number.js';

export interface ImportFlags {
  format?: 'csv' | 'json' | 'jsonl';
  delimiter?: string;
  map?: string[];
  defaultCountry?: string;
  rejects?: string;
  strict?: boolean;
  dryRun?: boolean;
}

/** What `customers import` was asked to do; paths as typed (the handler resolves them). */
export interface ImportCommandOptions {
  file: string;
  format?: 'csv' | 'json' | 'jsonl';
  delimiter?: string;
  map: ColumnMap;
  defaultCountry?: string;
  rejectsFile?: string;
  strict: boolean;
  dryRun: boolean;
}

/** Flags → options, without running anything (test/unit/cli/command-options.test.ts). */
export function parseImportOptions(file: string, flags: ImportFlags): ImportCommandOptions {
  return {
    file,
    ...(flags.format ? { format: flags.format } : {}),
    ...(flags.delimiter !== undefined ? { delimiter: flags.delimiter } : {}),
    map: parseColumnMap(flags.map ?? []),
    ...(flags.defaultCountry !== undefined ? { defaultCountry: flags.defaultCountry } : {}),
    ...(flags.rejects ? { rejectsFile: flags.rejects } : {}),
    strict: Boolean(flags.strict),
    dryRun: Boolean(flags.dryRun),
  };
}

/**
 * MKT_IMPORT_READERS: how many threads read an import file (default: two on PostgreSQL, one on
 * SQLite; src/customers/import/reader.ts), for measuring the import on another machine.
 */
export function importReaders(env: NodeJS.ProcessEnv): number | undefined {
  return envWholeNumber(env, 'MKT_IMPORT_READERS', 'bad_import_readers', { max: 16, what: 'a number of threads from 1 to 16', example: 2 });
}

export interface ListFlags {
  limit: number;
  offset: number;
}

/** What `customers list` was asked to do. */
export interface ListCommandOptions {
  limit: number;
  offset: number;
}

export function parseListOptions(flags: ListFlags): ListCommandOptions {
  return { limit: flags.limit, offset: flags.offset };
}

export interface SeedFlags {
  count: number;
  seed: number;
  replace?: boolean;
  yes?: boolean;
}

/** What `customers seed` was asked to do. */
export interface SeedCommandOptions {
  count: number;
  seed: number;
  replace: boolean;
  /** --yes: deleting every customer (--replace) needs no question. */
  confirmed: boolean;
  /**
   * MKT_NOW when it is set and a date: demo rows are dated from it, not from the clock that
   * advances from it while mkt runs (so they never depend on how long start-up took).
   */
  datedFrom?: Date;
}

export function parseSeedOptions(flags: SeedFlags, env: Readonly<Record<string, string | undefined>>): SeedCommandOptions {
  const fixed = env.MKT_NOW ? Date.parse(env.MKT_NOW) : NaN;
  return {
    count: flags.count,
    seed: flags.seed,
    replace: Boolean(flags.replace),
    confirmed: Boolean(flags.yes),
    ...(Number.isNaN(fixed) ? {} : { datedFrom: new Date(fixed) }),
  };
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
 * run creates nothing), or, when there is no SQLite file yet, an empty one in memory, so the dry
 * run still checks every row and counts them all as inserts, and says so.
 */
async function dryRunStore(ctx: CliContext, opened: { memory?: Store }): Promise<ImportTarget> {
  const repos = await ctx.existingRepositories();
  if (repos) return repos.imports;
  ctx.info(`no database at ${ctx.dbPath} yet: the dry run counts against an empty one and creates nothing`);
  const [{ openStore }, { recheckStoredAddresses }] = await Promise.all([import('../db/open.js'), import('../customers/recheck.js')]);
  return (opened.memory = openStore(':memory:', 'write', { recheck: recheckStoredAddresses }));
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
        const found = await requireCustomer((await ctx.repositories('read')).customers, key!);
        ctx.result(found, (c) => renderFields(Object.entries(c)));
      }),
    );

  group
    .command('list')
    .description('customers in id order')
    .option('--limit <n>', 'how many (1 to 1,000,000)', listLimit, 20)
    .option('--offset <n>', 'skip this many first', listOffset, 0)
    .action(
      action<ListFlags>(async (ctx, _args, flags) => {
        const o = parseListOptions(flags);
        const { customerPage } = await import('../customers/query.js');
        const rows = await customerPage((await ctx.repositories('read')).customers, o.limit, o.offset);
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
      action<ImportFlags>(async (ctx, [file], flags) => {
        const o = parseImportOptions(file!, flags);
        const { importCustomers, readerThreads } = await import('../customers/import/index.js');
        const name = userPath(ctx, o.file);
        // opened only once the file and the rejects folder checked out; a dry run only reads.
        // Through the repositories, so it runs on either store (SQLite or PostgreSQL)
        const opened: { memory?: Store } = {};
        const store = o.dryRun ? () => dryRunStore(ctx, opened) : async () => (await ctx.repositories()).imports;
        const result = await importCustomers(store, {
          ...o,
          file: name,
          rejectsFile: o.rejectsFile ? userPath(ctx, o.rejectsFile) : undefined,
          now: ctx.now(),
          readers: importReaders(ctx.io.env) ?? readerThreads(ctx.dbTarget.kind),
        }).finally(() => opened.memory?.close());
        if (!ctx.json) {
          for (const w of result.warning_samples.slice(0, SHOWN)) ctx.warn(`${name}:${w.line}: ${w.reason}`);
          if (result.warnings > SHOWN) ctx.info(`… and ${result.warnings - SHOWN} more warnings (--json lists the first 100)`);
          for (const r of result.rejects.slice(0, SHOWN)) ctx.info(`${ctx.colour.red('rejected:')} ${name}:${r.line}: ${r.reason}`);
          if (result.rejected > SHOWN) ctx.info(`… and ${result.rejected - SHOWN} more rejected rows${o.rejectsFile ? '' : ' (--rejects <file> writes them all)'}`);
        }
        ctx.result(result, (r) => {
          const counts = `read ${r.read}, inserted ${r.inserted}, updated ${r.updated}, unchanged ${r.unchanged}, rejected ${r.rejected}, warnings ${r.warnings}`;
          return o.dryRun ? `dry run, nothing written: ${counts}\n` : `imported ${name}: ${counts}\n`;
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
      action<SeedFlags>(async (ctx, _args, flags) => {
        const o = parseSeedOptions(flags, ctx.io.env);
        const { seedCustomersInto } = await import('../customers/seed.js');
        // through the repositories, so it runs on either store (SQLite or PostgreSQL)
        const { customers } = await ctx.repositories();
        if (o.replace) {
          const n = await customers.count();
          if (n > 0) await confirmOrRefuse(ctx, o.confirmed, `Delete all ${n} customers before seeding?`, '--replace (deleting every customer)');
        }
        const result = await seedCustomersInto(customers, { count: o.count, seed: o.seed, now: o.datedFrom ?? ctx.now(), replace: o.replace });
        ctx.result(result, (r) => {
          const removed = r.deleted > 0 ? `removed ${count(r.deleted, 'customer')}, then ` : '';
          return `${removed}seeded ${r.inserted} demo customers (seed ${r.seed}${r.skipped > 0 ? `; ${r.skipped} already present` : ''})\n`;
        });
      }),
    );
}
