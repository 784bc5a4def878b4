/**
 * `mkt init`: the scaffolded workspace passes every validation and runs a campaign through the
 * outbox; it never overwrites; its commented real providers load once uncommented and name the
 * environment variables the vendors' own tools use.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProviders } from '../../src/providers/load.js';
import { REAL_PROVIDER_ENV } from '../../src/workspace/init.js';
import { runCli, tempWorkspace } from '../support/cli.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function fresh(): { dir: string; cli: (args: string[], env?: NodeJS.ProcessEnv) => ReturnType<typeof runCli> } {
  const ws = tempWorkspace();
  cleanups.push(ws.cleanup);
  const dir = path.join(ws.dir, 'shop');
  mkdirSync(dir);
  return { dir, cli: (args, env) => runCli(args, { cwd: dir, env }) };
}

/** The scaffold's providers.yaml with the commented real providers switched on. */
function uncommented(text: string): string {
  const [head, tail] = text.split('# Real providers');
  return head + tail!.split('\n').slice(1).map((l) => (l.startsWith('#  ') ? l.slice(1) : l.startsWith('#') ? '' : l)).join('\n');
}

describe('mkt init', { timeout: 120_000 }, () => {
  it('writes a workspace that validates, renders, checks and sends through the outbox', () => {
    const { dir, cli } = fresh();
    const init = runCli(['init', dir, '--json'], { cwd: path.dirname(dir) });
    expect(init.code, init.stderr).toBe(0);
    const result = JSON.parse(init.stdout) as { created: string[]; gitignore: string };
    expect(result.created).toEqual(['providers.yaml', 'mkt.yaml', 'segments/subscribers.yaml', 'templates/email/welcome.mjml', 'templates/sms/sale.txt', 'templates/whatsapp/sale_alert.yaml']);
    for (const f of result.created) expect(existsSync(path.join(dir, f)), f).toBe(true);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toMatch(/^\.mkt\/$/m);

    expect(cli(['segment', 'validate']).code).toBe(0);
    const templates = cli(['template', 'validate', '--json']);
    expect(templates.code, templates.stderr).toBe(0);
    expect(JSON.parse(templates.stdout)).toMatchObject({ errors: [], warnings: [] });
    const providers = JSON.parse(cli(['provider', 'list', '--json']).stdout) as Array<{ name: string; channel: string }>;
    expect(providers.map((p) => p.channel).sort()).toEqual(['email', 'sms', 'whatsapp']);
    for (const p of providers) expect(cli(['provider', 'check', p.name]).code, p.name).toBe(0);

    // the flow `mkt demo` shows, from the scaffold: seed, count, render, create, prepare, send
    expect(cli(['customers', 'seed', '--count', '300']).code).toBe(0);
    const count = JSON.parse(cli(['segment', 'count', 'subscribers', '--json']).stdout) as { count: number };
    expect(count.count).toBeGreaterThan(0);
    for (const t of ['welcome', 'sale', 'sale_alert']) {
      const r = cli(['template', 'render', t, '--customer', '1', '--json']);
      expect(r.code, `${t}: ${r.stderr}`).toBe(0);
    }
    expect(cli(['campaign', 'create', '--name', 'welcome', '--channel', 'email', '--segment', 'subscribers', '--provider', 'outbox', '--template', 'welcome']).code).toBe(0);
    expect(cli(['campaign', 'prepare', 'welcome']).code).toBe(0);
    const send = cli(['campaign', 'send', 'welcome', '--yes', '--throttle', '1000/s', '--json']);
    expect(send.code, send.stderr).toBe(0);
    const status = JSON.parse(cli(['campaign', 'status', 'welcome', '--json']).stdout) as { recipients: number; counts: { sent: number } };
    expect(status.counts.sent).toBe(count.count);
    expect(status.recipients).toBe(count.count);
    const outbox = readdirSync(path.join(dir, '.mkt', 'outbox', 'welcome')).filter((f) => f.endsWith('.eml'));
    expect(outbox).toHaveLength(count.count);
  });

  it('refuses to overwrite: names the file, writes nothing, exit 64', () => {
    const { dir, cli } = fresh();
    mkdirSync(path.join(dir, 'templates', 'sms'), { recursive: true });
    writeFileSync(path.join(dir, 'templates', 'sms', 'sale.txt'), 'mine\n');
    const r = cli(['init']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(path.join(dir, 'templates', 'sms', 'sale.txt'));
    expect(readFileSync(path.join(dir, 'templates', 'sms', 'sale.txt'), 'utf8')).toBe('mine\n');
    for (const f of ['providers.yaml', 'mkt.yaml', 'segments', '.gitignore']) expect(existsSync(path.join(dir, f)), f).toBe(false);
    const json = cli(['init', '--json']);
    expect(JSON.parse(json.stderr).error).toMatchObject({ code: 'init_would_overwrite', details: { existing: ['templates/sms/sale.txt'] } });
  });

  it('extends an existing .gitignore instead of replacing it', () => {
    const { dir, cli } = fresh();
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, '.gitignore'), 'node_modules');
    expect(cli(['init']).code).toBe(0);
    expect(readFileSync(path.join(dir, '.gitignore'), 'utf8')).toBe('node_modules\n.mkt/\n');
  });

  it('its commented real providers load when uncommented, with the vendors\' variable names', async () => {
    const { dir, cli } = fresh();
    expect(cli(['init']).code).toBe(0);
    const file = path.join(dir, 'providers.yaml');
    writeFileSync(file, uncommented(readFileSync(file, 'utf8')));
    const listed = JSON.parse(cli(['provider', 'list', '--json']).stdout) as Array<{ name: string; type: string; env: string[] }>;
    expect(listed.map((p) => p.type).sort()).toEqual(['meta-whatsapp', 'outbox', 'outbox', 'outbox', 'ses', 'twilio', 'twilio']);
    expect([...new Set(listed.flatMap((p) => p.env))].sort()).toEqual([...REAL_PROVIDER_ENV].sort());
    // type-specific settings are valid too, once the variables are set (no network: loading only)
    const env = Object.fromEntries(REAL_PROVIDER_ENV.map((n) => [n, n === 'TWILIO_ACCOUNT_SID' ? 'AC' + '0'.repeat(32) : `value-of-${n}`]));
    const configs = await loadProviders(dir, env);
    expect(configs).toHaveLength(7);
  });
});
