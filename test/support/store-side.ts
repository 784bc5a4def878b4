/**
 * One e2e case on either store. A workspace made by the usual helpers (smsWorkspace,
 * complianceWorkspace: customers imported into its SQLite file) is moved up into a PostgreSQL
 * database of its own with `mkt db copy`, and from then on every command runs with
 * MKT_DB=postgres://…; `query` reads that database (through psql, synchronously, so the cases
 * read alike on both stores). `importCsv` runs `customers import` on the case's own store.
 */
import { spawnSync } from 'node:child_process';
import { runCli, type CliResult } from './cli.js';
import { pgTestDatabase, type PgTestDatabase } from './pg.js';

export type StoreKind = 'sqlite' | 'postgres';

/** The stores an e2e file runs its cases on: SQLite, and PostgreSQL when a server answers (else one line says it is skipped). */
export async function e2eStores(label: string): Promise<Array<{ store: StoreKind }>> {
  const probe = await pgTestDatabase(label);
  await probe?.drop();
  return probe ? [{ store: 'sqlite' }, { store: 'postgres' }] : [{ store: 'sqlite' }];
}

interface BaseWorkspace {
  dir: string;
  db: string;
  env: NodeJS.ProcessEnv;
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): CliResult;
  cliAsync?(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<CliResult>;
  query<T>(sql: string, ...params: unknown[]): T[];
  cleanup(): void;
}

export type OnStore<W extends BaseWorkspace> = Omit<W, 'cleanup'> & {
  store: StoreKind;
  /** `customers import FILE` into this store. */
  importCsv(file: string, extraEnv?: NodeJS.ProcessEnv): void;
  /** Rows of the ledger by state. */
  states(campaign?: string): Record<string, number>;
  cleanup(): Promise<void>;
};

/** A literal for psql: test values only (numbers, strings, null, booleans). */
function literal(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return `'${String(v).replace(/'/g, "''")}'`;
}

function psql(url: string, sql: string): string {
  const r = spawnSync('psql', [url, '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`psql: ${r.stderr}`);
  return r.stdout;
}

/** A SELECT with `?` placeholders on PostgreSQL, rows as JSON objects. */
function pgQuery(url: string) {
  return <T>(sql: string, ...params: unknown[]): T[] => {
    let i = 0;
    const text = sql.replace(/'(?:[^']|'')*'|\?/g, (m) => (m === '?' ? literal(params[i++]) : m));
    return JSON.parse(psql(url, `SELECT coalesce(json_agg(t), '[]'::json) FROM (${text}) t`)) as T[];
  };
}

export async function onStore<W extends BaseWorkspace>(store: StoreKind, w: W): Promise<OnStore<W>> {
  const statesOf =
    (query: BaseWorkspace['query']) =>
    (campaign?: string): Record<string, number> =>
      Object.fromEntries(
        query<{ state: string; n: number }>(
          `SELECT r.state AS state, count(*) AS n FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id ${campaign ? 'WHERE c.name = ?' : ''} GROUP BY r.state`,
          ...(campaign ? [campaign] : []),
        ).map((r) => [r.state, Number(r.n)]),
      );
  if (store === 'sqlite') {
    return {
      ...w,
      store,
      importCsv: (file, extraEnv) => {
        const r = w.cli(['customers', 'import', file], extraEnv);
        if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
      },
      states: statesOf(w.query),
      cleanup: async () => w.cleanup(),
    };
  }
  const db = (await pgTestDatabase('e2e_flow')) as PgTestDatabase;
  const copied = runCli(['db', 'copy', w.db, db.url], { cwd: w.dir, env: w.env });
  if (copied.code !== 0) throw new Error(`db copy failed: ${copied.stderr}`);
  const env = { MKT_DB: db.url };
  const query = pgQuery(db.url);
  return {
    ...w,
    store,
    env: { ...w.env, ...env },
    cli: (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => w.cli(args, { ...env, ...extraEnv }),
    ...(w.cliAsync ? { cliAsync: (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => w.cliAsync!(args, { ...env, ...extraEnv }) } : {}),
    query,
    states: statesOf(query),
    // the PostgreSQL import itself (COPY into staging, the set-based upsert), as a user runs it
    importCsv: (file, extraEnv = {}) => {
      const r = w.cli(['customers', 'import', file], { ...env, ...extraEnv });
      if (r.code !== 0) throw new Error(`import failed: ${r.stderr}`);
    },
    cleanup: async () => {
      w.cleanup();
      await db.drop();
    },
  };
}
