/**
 * The chaos suite's workspace: customers with an email address and a phone number (both
 * consenting), an email campaign over fake SES (`ses` provider, `endpoint:`) and an SMS
 * campaign over fake Twilio (`base_url:`), driven through the built CLI.
 */
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { runCli, runCliAsync, tempWorkspace, type CliResult } from '../support/cli.js';
import { readQuery, TWILIO_SID, TWILIO_TOKEN } from '../support/campaign-workspace.js';

export const SES_KEY = 'AKIDCHAOS0000001';
export const SES_SECRET = 'chaos-ses-secret-5f1e';

export type ChaosChannel = 'email' | 'sms';

export interface ChaosWorkspace {
  dir: string;
  db: string;
  channel: ChaosChannel;
  /** The campaign's recipients, in list order. */
  addresses: string[];
  env: NodeJS.ProcessEnv;
  cli(args: string[]): CliResult;
  /** `campaign send c --yes --json …` in the background. */
  send(extra?: string[]): Promise<CliResult>;
  query<T>(sql: string, ...params: unknown[]): T[];
  states(): Record<string, number>;
  cleanup(): void;
}

export interface ChaosWorkspaceOptions {
  channel: ChaosChannel;
  n: number;
  /** The fake server of the channel's provider. */
  url: string;
  concurrency: number;
  rate?: string;
  /** Provider request timeout (ms): how long before a hanging request counts as ambiguous. */
  timeoutMs?: number;
}

const ENV = { TW_TOKEN: TWILIO_TOKEN, CHAOS_SES_KEY: SES_KEY, CHAOS_SES_SECRET: SES_SECRET };

/** Customer i's address on a channel. */
function addressesOf(channel: ChaosChannel, n: number): string[] {
  return Array.from({ length: n }, (_, i) => (channel === 'email' ? `c${i}@chaos.example` : `+4915${String(10000000 + i).padStart(9, '0')}`));
}

function prepareBase(channel: ChaosChannel, n: number): string {
  const ws = tempWorkspace();
  const emails = addressesOf('email', n);
  const phones = addressesOf('sms', n);
  const csv = ['external_id,email,phone,country,email_opt_in,sms_opt_in,first_name', ...emails.map((e, i) => `x${i},${e},${phones[i]},DE,yes,yes,Kim${i}`)];
  writeFileSync(path.join(ws.dir, 'customers.csv'), csv.join('\n') + '\n');
  writeFileSync(path.join(ws.dir, 'mkt.yaml'), 'unsubscribe:\n  base_url: http://127.0.0.1:9/u\n  secret: ${MKT_UNSUBSCRIBE_SECRET}\n');
  mkdirSync(path.join(ws.dir, 'segments'));
  writeFileSync(path.join(ws.dir, 'segments', 'everyone.yaml'), `where:\n  ${channel}_opt_in: true\n`);
  mkdirSync(path.join(ws.dir, 'templates', 'email'), { recursive: true });
  mkdirSync(path.join(ws.dir, 'templates', 'sms'), { recursive: true });
  writeFileSync(
    path.join(ws.dir, 'templates', 'email', 'note.mjml'),
    '---\nsubject: "Hi {{ first_name }}"\nfrom_name: Chaos\n---\n<mjml><mj-body><mj-section><mj-column><mj-text>Hello {{ first_name }}. <a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text></mj-column></mj-section></mj-body></mjml>\n',
  );
  writeFileSync(path.join(ws.dir, 'templates', 'sms', 'note.txt'), 'Hi {{ first_name }}, sale today. Reply STOP to opt out.\n');
  // any reachable-looking URL will do here: prepare never calls the provider
  writeProviders(ws.dir, { channel, n, url: 'http://127.0.0.1:9', concurrency: 1 });
  for (const step of [
    ['customers', 'import', 'customers.csv'],
    ['campaign', 'create', '--name', 'c', '--channel', channel, '--segment', 'everyone', '--provider', 'p', '--template', 'note'],
    ['campaign', 'prepare', 'c'],
  ]) {
    const r = runCli(step, { cwd: ws.dir, env: ENV });
    if (r.code !== 0) throw new Error(`${step.join(' ')} failed (${r.code}): ${r.stderr}`);
  }
  return ws.dir;
}

function writeProviders(dir: string, opts: ChaosWorkspaceOptions): void {
  const provider =
    opts.channel === 'email'
      ? [
          '  - name: p',
          '    type: ses',
          '    channel: email',
          '    region: us-east-1',
          `    endpoint: ${opts.url}`,
          '    access_key_id: ${CHAOS_SES_KEY}',
          '    secret_access_key: ${CHAOS_SES_SECRET}',
          `    request_timeout_ms: ${opts.timeoutMs ?? 30_000}`,
          '    senders: [ "Chaos <news@chaos.example>", "Chaos <hello@chaos.example>" ]',
        ]
      : [
          '  - name: p',
          '    type: twilio',
          '    channel: sms',
          `    account_sid: ${TWILIO_SID}`,
          '    auth_token: ${TW_TOKEN}',
          `    base_url: ${opts.url}`,
          `    timeout_ms: ${opts.timeoutMs ?? 30_000}`,
          '    senders: [ "+15550000001", "+15550000002" ]',
        ];
  provider.push(`    rate: ${opts.rate ?? '5000/s'}`, `    concurrency: ${opts.concurrency}`);
  writeFileSync(path.join(dir, 'providers.yaml'), ['providers:', ...provider].join('\n') + '\n');
}

/** Prepared workspaces by channel and size: import + create + prepare run once, each scenario gets a copy. */
const prepared = new Map<string, string>();
process.on('exit', () => {
  for (const dir of prepared.values()) rmSync(dir, { recursive: true, force: true });
});

export function chaosWorkspace(opts: ChaosWorkspaceOptions): ChaosWorkspace {
  const key = `${opts.channel}:${opts.n}`;
  let base = prepared.get(key);
  if (!base) {
    base = prepareBase(opts.channel, opts.n);
    prepared.set(key, base);
  }
  const ws = tempWorkspace();
  cpSync(base, ws.dir, { recursive: true });
  writeProviders(ws.dir, opts);
  const env = ENV;
  const cli = (args: string[]) => runCli(args, { cwd: ws.dir, env });
  const query = readQuery(ws.db);
  return {
    dir: ws.dir,
    db: ws.db,
    channel: opts.channel,
    addresses: addressesOf(opts.channel, opts.n),
    env,
    cli,
    send: (extra = []) => runCliAsync(['campaign', 'send', 'c', '--yes', '--json', ...extra], { cwd: ws.dir, env, timeoutMs: 120_000 }),
    query,
    states: () => Object.fromEntries(query<{ state: string; n: number }>('SELECT state, count(*) AS n FROM campaign_recipients GROUP BY state').map((r) => [r.state, r.n])),
    cleanup: ws.cleanup,
  };
}
