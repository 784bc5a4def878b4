import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runCli, runCliAsync, tempWorkspace, type CliResult } from './cli.js';
import { PG_BASE_URL } from './pg.js';

/**
 * MKT_TEST_E2E_STORE=postgres runs the compliance e2e files unchanged on PostgreSQL: each
 * workspace imports its customers into SQLite as usual, moves up with `mkt db copy` to a
 * database of its own (MKT_DB for every command after), and `query` reads PostgreSQL (psql,
 * `?` parameters inlined as literals). For checking the tracking and feedback writes on both
 * stores: `MKT_TEST_E2E_STORE=postgres npx vitest run test/e2e/tracking-serve.test.ts …`.
 */
const ON_POSTGRES = process.env.MKT_TEST_E2E_STORE === 'postgres';

const literal = (v: unknown): string => (v === null || v === undefined ? 'NULL' : typeof v === 'number' ? String(v) : `'${String(v).replace(/'/g, "''")}'`);

function psql(url: string, sql: string): string {
  return execFileSync('psql', [url, '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-c', sql], { encoding: 'utf8' });
}

/** A database of its own on the test server, and how to read it and drop it. */
function pgWorkspaceDb(): { url: string; query<T>(sql: string, params: unknown[]): T[]; drop(): void } {
  const name = `mkt_t_e2e_ws_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 6)}`;
  psql(PG_BASE_URL, `CREATE DATABASE ${name}`);
  const u = new URL(PG_BASE_URL);
  u.pathname = `/${name}`;
  const url = u.toString();
  return {
    url,
    query: <T>(sql: string, params: unknown[]): T[] => {
      let i = 0;
      const text = sql.replace(/'(?:[^']|'')*'|\?/g, (m) => (m === '?' ? literal(params[i++]) : m));
      return JSON.parse(psql(url, `SELECT coalesce(json_agg(t), '[]'::json) FROM (${text}) t`)) as T[];
    },
    drop: () => void psql(PG_BASE_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export const UNSUB_SECRET = 'compliance-test-secret-0123456789';

export interface ComplianceWorkspace {
  dir: string;
  db: string;
  env: NodeJS.ProcessEnv;
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): CliResult;
  cliAsync(args: string[], extraEnv?: NodeJS.ProcessEnv): Promise<CliResult>;
  query<T>(sql: string, ...params: unknown[]): T[];
  write(file: string, text: string): string;
  cleanup(): void;
}

const PROVIDERS = `providers:
  - name: outbox
    type: outbox
    channel: email
    senders: [ "News <news@shop.example.com>" ]
  - name: outbox-sms
    type: outbox
    channel: sms
    senders: [ "+15550000001" ]
  - name: outbox-wa
    type: outbox
    channel: whatsapp
    senders: [ "+15550000002" ]
`;

const EMAIL = `---
subject: "News for {{ first_name }}"
---
<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ first_name }}</mj-text>
<mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>
`;

const WHATSAPP = `name: promo
language: en_US
category: MARKETING
body: "Hi {{1}}, new arrivals are in."
parameters:
  - "{{ first_name | default: 'there' }}"
`;

/**
 * A workspace for compliance tests: the customers CSV given, outbox providers for every
 * channel (`outbox`, `outbox-sms`, `outbox-wa`), segments `all-email`, `all-sms`, `all-wa`,
 * templates `news` (email, with an unsubscribe link), `hello` (sms), `promo` (whatsapp), and
 * the mkt.yaml given.
 */
export function complianceWorkspace(opts: { customers: string; mktYaml?: string; providers?: string }): ComplianceWorkspace {
  const ws = tempWorkspace();
  const write = (file: string, text: string) => {
    const full = path.join(ws.dir, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, text);
    return full;
  };
  write('customers.csv', opts.customers);
  write('providers.yaml', opts.providers ?? PROVIDERS);
  if (opts.mktYaml !== undefined) write('mkt.yaml', opts.mktYaml);
  write('segments/all-email.yaml', 'where:\n  email_opt_in: true\n');
  write('segments/all-sms.yaml', 'where:\n  sms_opt_in: true\n');
  write('segments/all-wa.yaml', 'where:\n  whatsapp_opt_in: true\n');
  write('templates/email/news.mjml', EMAIL);
  write('templates/sms/hello.txt', 'Hi {{ first_name }}, new arrivals today.\n');
  write('templates/whatsapp/promo.yaml', WHATSAPP);
  const env: NodeJS.ProcessEnv = { MKT_UNSUBSCRIBE_SECRET: UNSUB_SECRET };
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: ws.dir, env: { ...env, ...extraEnv } });
  const imported = cli(['customers', 'import', 'customers.csv']);
  if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
  const pgDb = ON_POSTGRES ? pgWorkspaceDb() : undefined;
  if (pgDb) {
    const copied = cli(['db', 'copy', ws.db, pgDb.url]);
    if (copied.code !== 0) throw new Error(`db copy failed: ${copied.stderr}`);
    env.MKT_DB = pgDb.url;
  }
  return {
    dir: ws.dir,
    db: ws.db,
    env,
    cli,
    cliAsync: (args, extraEnv = {}) => runCliAsync(args, { cwd: ws.dir, env: { ...env, ...extraEnv } }),
    query: <T>(sql: string, ...params: unknown[]): T[] => {
      if (pgDb) return pgDb.query<T>(sql, params);
      const db = new Database(ws.db, { readonly: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    write,
    cleanup: () => {
      pgDb?.drop();
      ws.cleanup();
    },
  };
}

export const UNSUBSCRIBE_YAML = `unsubscribe:
  base_url: https://mkt.example.com/u
  secret: \${MKT_UNSUBSCRIBE_SECRET}
  mailto: unsubscribe@shop.example.com
`;
