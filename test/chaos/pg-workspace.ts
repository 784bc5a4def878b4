/**
 * A workspace whose store is a PostgreSQL database (MKT_DB), with an email campaign `c` over
 * the fake SES, for the multi-worker scenarios. The campaign is created through the CLI; its
 * customers and ledger rows are written with SQL (the fixture stands in for `campaign prepare`
 * on PostgreSQL). Workers are real `mkt campaign send` processes, which the scenarios may kill.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { BIN, cliEnv, runCli, tempWorkspace, type CliResult } from '../support/cli.js';
import { SES_KEY, SES_SECRET } from './workspace.js';

export interface Worker {
  child: ChildProcess;
  done: Promise<CliResult>;
}

export interface PgWorkspace {
  dir: string;
  url: string;
  addresses: string[];
  env: NodeJS.ProcessEnv;
  cli(args: string[]): CliResult;
  /** `mkt campaign send c --yes --json …` as its own process. */
  worker(extra?: string[]): Worker;
  query<T extends pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]>;
  states(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export interface PgWorkspaceOptions {
  url: string;
  n: number;
  sesUrl: string;
  concurrency: number;
  rate?: string;
  senders?: string;
  /** MKT_WORKER_TTL_S of the workers (default 3). */
  workerTtlS?: number;
}

export async function pgWorkspace(opts: PgWorkspaceOptions): Promise<PgWorkspace> {
  const ws = tempWorkspace();
  const env = { MKT_DB: opts.url, CHAOS_SES_KEY: SES_KEY, CHAOS_SES_SECRET: SES_SECRET, MKT_WORKER_TTL_S: String(opts.workerTtlS ?? 3) };
  writeFileSync(path.join(ws.dir, 'mkt.yaml'), 'unsubscribe:\n  base_url: http://127.0.0.1:9/u\n  secret: ${MKT_UNSUBSCRIBE_SECRET}\n');
  mkdirSync(path.join(ws.dir, 'segments'));
  writeFileSync(path.join(ws.dir, 'segments', 'everyone.yaml'), 'where:\n  email_opt_in: true\n');
  mkdirSync(path.join(ws.dir, 'templates', 'email'), { recursive: true });
  writeFileSync(
    path.join(ws.dir, 'templates', 'email', 'note.mjml'),
    '---\nsubject: "Hi {{ first_name }}"\nfrom_name: Chaos\n---\n<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{ first_name }}. <a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text></mj-column></mj-section></mj-body></mjml>\n',
  );
  writeFileSync(
    path.join(ws.dir, 'providers.yaml'),
    [
      'providers:',
      '  - name: p',
      '    type: ses',
      '    channel: email',
      '    region: us-east-1',
      `    endpoint: ${opts.sesUrl}`,
      '    access_key_id: ${CHAOS_SES_KEY}',
      '    secret_access_key: ${CHAOS_SES_SECRET}',
      `    senders: ${opts.senders ?? '[ "Chaos <news@chaos.example>", "Chaos <hello@chaos.example>" ]'}`,
      `    rate: ${opts.rate ?? '5000/s'}`,
      `    concurrency: ${opts.concurrency}`,
    ].join('\n') + '\n',
  );
  const cli = (args: string[]) => runCli(args, { cwd: ws.dir, env });
  const created = cli(['campaign', 'create', '--name', 'c', '--channel', 'email', '--segment', 'everyone', '--provider', 'p', '--template', 'note']);
  if (created.code !== 0) throw new Error(`campaign create failed (${created.code}): ${created.stderr}`);

  const pool = new pg.Pool({ connectionString: opts.url, max: 2 });
  pool.on('error', () => {});
  const addresses = Array.from({ length: opts.n }, (_, i) => `c${i}@chaos.example`);
  const now = Date.now();
  await pool.query(
    `WITH c AS (INSERT INTO customers (external_id, email, first_name, country, email_opt_in, created_at, updated_at)
                SELECT 'x' || n, a, 'Kim' || n, 'DE', true, $2, $2 FROM unnest($1::text[]) WITH ORDINALITY AS t(a, n) ORDER BY n RETURNING id, email)
     INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, next_attempt_at, updated_at)
     SELECT (SELECT id FROM campaigns WHERE name = 'c'), c.id, c.email, 'pending', 0, $2 FROM c ORDER BY c.id`,
    [addresses, now],
  );
  await pool.query(`UPDATE campaigns SET state = 'prepared', prepared_at = $1 WHERE name = 'c'`, [now]);

  // once more after an error: an idle connection of this pool may have died with a server restart
  const query = async <T extends pg.QueryResultRow>(sql: string, params: unknown[] = []) =>
    (await pool.query<T>(sql, params).catch(async () => new Promise((r) => setTimeout(r, 500)).then(() => pool.query<T>(sql, params)))).rows;
  return {
    dir: ws.dir,
    url: opts.url,
    addresses,
    env,
    cli,
    worker: (extra = []) => {
      const child = spawn(process.execPath, [BIN, 'campaign', 'send', 'c', '--yes', '--json', ...extra], { cwd: ws.dir, env: cliEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), 180_000);
      const done = new Promise<CliResult>((resolve) =>
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve({ code: code ?? (signal === 'SIGKILL' ? 137 : -1), stdout, stderr });
        }),
      );
      return { child, done };
    },
    query,
    states: async () => Object.fromEntries((await query<{ state: string; n: number }>('SELECT state, count(*)::int AS n FROM campaign_recipients GROUP BY state')).map((r) => [r.state, r.n])),
    close: async () => {
      await pool.end();
      ws.cleanup();
    },
  };
}
