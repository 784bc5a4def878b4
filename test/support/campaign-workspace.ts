import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runCli, tempWorkspace, type CliResult } from './cli.js';

export interface SmsWorkspace {
  dir: string;
  db: string;
  phones: string[];
  env: NodeJS.ProcessEnv;
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): CliResult;
  /** Rows of the ledger by state. */
  states(campaign?: string): Record<string, number>;
  query<T>(sql: string, ...params: unknown[]): T[];
  cleanup(): void;
}

export const TWILIO_SID = 'AC' + '0123456789abcdef'.repeat(2);
export const TWILIO_TOKEN = 'tw-token-canary-0d9f8e7c6b5a';

/** A read-only query on a workspace's database, opened per call so it never holds a lock. */
export function readQuery(file: string): <T>(sql: string, ...params: unknown[]) => T[] {
  return <T>(sql: string, ...params: unknown[]): T[] => {
    const db = new Database(file, { readonly: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  };
}

/**
 * A workspace with `n` SMS-consenting customers, one segment (`all-sms`), one SMS template
 * (`hello`) and providers: `outbox-sms`, and `tw` (Twilio) pointed at `twilioUrl` when given.
 */
export function smsWorkspace(
  n: number,
  opts: { twilioUrl?: string; rate?: string; concurrency?: number; senders?: string; extraProviders?: string } = {},
): SmsWorkspace {
  const ws = tempWorkspace();
  const phones = Array.from({ length: n }, (_, i) => `+4915${String(10000000 + i).padStart(9, '0')}`);
  const csv = ['external_id,phone,country,sms_opt_in,first_name', ...phones.map((p, i) => `x${i},${p},DE,yes,Kim${i}`)].join('\n') + '\n';
  writeFileSync(path.join(ws.dir, 'customers.csv'), csv);
  mkdirSync(path.join(ws.dir, 'segments'));
  writeFileSync(path.join(ws.dir, 'segments', 'all-sms.yaml'), 'description: everyone with SMS consent\nwhere:\n  sms_opt_in: true\n');
  mkdirSync(path.join(ws.dir, 'templates', 'sms'), { recursive: true });
  writeFileSync(path.join(ws.dir, 'templates', 'sms', 'hello.txt'), 'Hi {{ first_name }}, our sale starts today.\n');
  const senders = opts.senders ?? '[ "+15550000001", "+15550000002", { number: "+15550000003", weight: 2 } ]';
  const providers = [
    'providers:',
    '  - name: outbox-sms',
    '    type: outbox',
    '    channel: sms',
    `    senders: ${senders}`,
    ...(opts.twilioUrl
      ? [
          '  - name: tw',
          '    type: twilio',
          '    channel: sms',
          `    account_sid: ${TWILIO_SID}`,
          '    auth_token: ${TW_TOKEN}',
          `    base_url: ${opts.twilioUrl}`,
          `    rate: ${opts.rate ?? '2000/s'}`,
          `    concurrency: ${opts.concurrency ?? 8}`,
          `    senders: ${senders}`,
        ]
      : []),
    ...(opts.extraProviders ? [opts.extraProviders] : []),
  ];
  writeFileSync(path.join(ws.dir, 'providers.yaml'), providers.join('\n') + '\n');
  const env = { TW_TOKEN: TWILIO_TOKEN };
  const cli = (args: string[], extraEnv: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: ws.dir, env: { ...env, ...extraEnv } });
  const imported = cli(['customers', 'import', 'customers.csv']);
  if (imported.code !== 0) throw new Error(`import failed: ${imported.stderr}`);
  const query = readQuery(ws.db);
  return {
    dir: ws.dir,
    db: ws.db,
    phones,
    env,
    cli,
    query,
    states: (campaign?: string) =>
      Object.fromEntries(
        query<{ state: string; n: number }>(
          `SELECT r.state, count(*) AS n FROM campaign_recipients r JOIN campaigns c ON c.id = r.campaign_id ${campaign ? 'WHERE c.name = ?' : ''} GROUP BY r.state`,
          ...(campaign ? [campaign] : []),
        ).map((r) => [r.state, r.n]),
      ),
    cleanup: ws.cleanup,
  };
}
