/** `type: module`: path resolution against the workspace, factory forms, load failures. */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { createProvider, getProviderConfig } from '../../../src/providers/index.js';
import { startFakeWebhook } from '../../fakes/webhook.js';
import { smsMessage } from './messages.js';

const ROOT = path.resolve(__dirname, '../../..');
const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

function workspace(moduleLine: string, url = 'http://127.0.0.1:9'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-module-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'providers'));
  copyFileSync(path.join(ROOT, 'examples/providers/webhook-gateway.js'), path.join(dir, 'providers/webhook-gateway.js'));
  writeFileSync(
    path.join(dir, 'providers.yaml'),
    `providers:
  - name: gw
    type: module
    channel: sms
    ${moduleLine}
    options: { url: "${url}", api_token: "\${GW_TOKEN}" }
    senders: [ "+14155550100" ]
`,
  );
  return dir;
}

const env = { GW_TOKEN: 'fake-webhook-token' };
const ctx = (dir: string) => ({ workspace: dir, env, now: () => new Date() });

describe('module providers', () => {
  it('resolves `module:` against the workspace and sends through the user code', async () => {
    const fake = await startFakeWebhook();
    cleanup.push(() => fake.close());
    const dir = workspace('module: ./providers/webhook-gateway.js', fake.url);
    const p = await createProvider(await getProviderConfig(dir, env, 'gw'), ctx(dir));
    const { providerMessageId } = await p.send(smsMessage(), '+14155550100');
    expect(fake.receipts).toEqual([expect.objectContaining({ id: providerMessageId, to: '+447911123456', from: '+14155550100', reference: 'c42_r7_a1' })]);
  });

  it('a named `create` export works too, and plain string ids are accepted', async () => {
    const dir = workspace('module: providers/named.mjs');
    writeFileSync(path.join(dir, 'providers/named.mjs'), 'export function create(config) { return { send: async (m) => `named-${config.name}-${m.to}` }; }\n');
    const p = await createProvider(await getProviderConfig(dir, env, 'gw'), ctx(dir));
    expect(await p.send(smsMessage(), '+14155550100')).toEqual({ providerMessageId: 'named-gw-+447911123456' });
    expect(p.check).toBeUndefined();
  });

  it('a missing module or one without a factory is a configuration error naming the entry', async () => {
    const dir = workspace('module: ./providers/nope.js');
    const e1 = await createProvider(await getProviderConfig(dir, env, 'gw'), ctx(dir)).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(ConfigError);
    expect((e1 as ConfigError).message).toMatch(/^providers\.yaml:2:5: provider gw: cannot load module providers\/nope\.js/);
    writeFileSync(path.join(dir, 'providers/nope.js'), 'export const x = 1;\n');
    const e2 = await createProvider(await getProviderConfig(dir, env, 'gw'), ctx(dir)).catch((e: unknown) => e);
    expect((e2 as ConfigError).message).toContain('exports no provider factory');
  });

  it('option keys that look secret must be ${ENV} references', async () => {
    const dir = workspace('module: ./providers/webhook-gateway.js');
    writeFileSync(path.join(dir, 'providers.yaml'), `providers:\n  - name: gw\n    type: module\n    channel: sms\n    module: ./providers/webhook-gateway.js\n    options: { url: "http://x", api_token: "literal-token-here" }\n    senders: [ "+14155550100" ]\n`);
    const e = (await getProviderConfig(dir, env, 'gw').catch((err: unknown) => err)) as ConfigError;
    expect(e.code).toBe('literal_secret');
    expect(e.message).toContain('providers.yaml:6:44: providers[0].options.api_token');
    expect(e.message).not.toContain('literal-token-here');
  });
});
