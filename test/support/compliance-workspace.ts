import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { runCli, runCliAsync, tempWorkspace, type CliResult } from './cli.js';

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
  return {
    dir: ws.dir,
    db: ws.db,
    env,
    cli,
    cliAsync: (args, extraEnv = {}) => runCliAsync(args, { cwd: ws.dir, env: { ...env, ...extraEnv } }),
    query: <T>(sql: string, ...params: unknown[]): T[] => {
      const db = new Database(ws.db, { readonly: true });
      try {
        return db.prepare(sql).all(...params) as T[];
      } finally {
        db.close();
      }
    },
    write,
    cleanup: ws.cleanup,
  };
}

export const UNSUBSCRIBE_YAML = `unsubscribe:
  base_url: https://mkt.example.com/u
  secret: \${MKT_UNSUBSCRIBE_SECRET}
  mailto: unsubscribe@shop.example.com
`;
