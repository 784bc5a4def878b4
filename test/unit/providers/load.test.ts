import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../../src/errors.js';
import { getProviderConfig, listProviders, loadProviders } from '../../../src/providers/index.js';
import { redact } from '../../../src/util/redact.js';

const ROOT = path.resolve(__dirname, '../../..');
const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function ws(yaml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-load-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'providers.yaml'), yaml);
  return dir;
}

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(ConfigError);
  return e as ConfigError;
}

const SES = `providers:
  - name: ses-eu
    type: ses
    channel: email
    region: eu-west-1
    access_key_id: \${AWS_ACCESS_KEY_ID}
    secret_access_key: \${AWS_SECRET_ACCESS_KEY}
    rate: 14/s
    concurrency: 16
    senders:
      - { address: "Acme News <news@m1.acme.example>", weight: 2, daily_cap: 50000 }
      - { address: "Acme News <news@m2.acme.example>", rate: 5/s }
  - name: outbox
    type: outbox
    channel: email
    senders: [ "Demo <demo@example.com>" ]
`;
const ENV = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE1234', AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };

describe('loadProviders', () => {
  it('loads the issue example: senders, weights, rates, caps, settings with defaults', async () => {
    const [ses, outbox] = await loadProviders(ws(SES), ENV);
    expect(ses).toMatchObject({
      name: 'ses-eu',
      type: 'ses',
      channel: 'email',
      rate: { perSecond: 14, text: '14/s' },
      concurrency: 16,
      senders: [
        { id: 'Acme News <news@m1.acme.example>', weight: 2, dailyCap: 50000 },
        { id: 'Acme News <news@m2.acme.example>', weight: 1, rate: { perSecond: 5 } },
      ],
      settings: { region: 'eu-west-1', secret_access_key: ENV.AWS_SECRET_ACCESS_KEY, connection_timeout_ms: 3000, request_timeout_ms: 30000 },
      source: 'providers.yaml:2:5',
    });
    expect(outbox).toMatchObject({ name: 'outbox', senders: [{ id: 'Demo <demo@example.com>', weight: 1 }], settings: { dir: '.mkt/outbox', latency_ms: 0 } });
    // resolved secrets are registered for redaction
    expect(redact(`x ${ENV.AWS_SECRET_ACCESS_KEY} y`)).toBe('x *** y');
  });

  it('loads the repository sample providers.yaml', async () => {
    const all = await loadProviders(ROOT, {});
    expect(all.length).toBeGreaterThanOrEqual(3);
    expect(new Set(all.map((p) => p.channel))).toEqual(new Set(['email', 'sms', 'whatsapp']));
    expect(all.every((p) => p.type === 'outbox')).toBe(true);
  });

  it('the commented-out examples in the sample providers.yaml are valid once uncommented', async () => {
    const sample = readFileSync(path.join(ROOT, 'providers.yaml'), 'utf8');
    const [head, examples] = sample.split('# Real providers:');
    const uncommented = examples!.split('\n').slice(1).map((l) => l.replace(/^#/, '')).join('\n');
    const env = { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE1234', AWS_SECRET_ACCESS_KEY: 'secret-secret', TWILIO_ACCOUNT_SID: 'AC' + 'a'.repeat(32), TWILIO_AUTH_TOKEN: 'token-token', TWILIO_WHATSAPP_SERVICE_SID: 'MG' + 'b'.repeat(32), META_WHATSAPP_TOKEN: 'meta-token', GATEWAY_TOKEN: 'gateway-token' };
    const all = await loadProviders(ws(head + uncommented), env);
    expect(all.map((p) => p.type)).toEqual(['outbox', 'outbox', 'outbox', 'ses', 'twilio', 'twilio', 'meta-whatsapp', 'module']);
    expect(all.find((p) => p.name === 'twilio-whatsapp')!.senders).toEqual([{ id: 'MG' + 'b'.repeat(32), weight: 1 }]);
  });

  it('a missing variable is named with its position, its siblings never printed', async () => {
    const e = await configError(loadProviders(ws(SES), { AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE1234' }));
    expect(e.code).toBe('env_missing');
    expect(e.message).toBe('providers.yaml:7:24: providers[0].secret_access_key: environment variable AWS_SECRET_ACCESS_KEY is not set');
    expect(e.message).not.toContain('AKIDEXAMPLE1234');
  });

  it('a literal secret is refused without echoing it', async () => {
    const e = await configError(loadProviders(ws(SES.replace('${AWS_SECRET_ACCESS_KEY}', 'hunter2hunter2')), ENV));
    expect(e.code).toBe('literal_secret');
    expect(e.message).toContain('providers.yaml:7:24: providers[0].secret_access_key: a secret must be an ${ENV_VAR} reference');
    expect(JSON.stringify(e.toJSON())).not.toContain('hunter2');
  });

  it('reports every problem with file:line:col and YAML path', async () => {
    const e = await configError(
      loadProviders(
        ws(`providers:
  - name: a
    type: sess
    channel: email
    senders: [x@example.com]
  - name: b
    type: outbox
    channel: fax
    rate: fast
    concurrency: 0
    senders: []
  - name: a
    type: outbox
    channel: sms
    senders:
      - { number: "+14155550100", weight: -1 }
      - { number: "+14155550100" }
`),
        {},
      ),
    );
    expect(e.message).toContain('problems:');
    const lines = e.message.split('\n').slice(1).map((l) => l.trim());
    expect(lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^providers\.yaml:3:11: providers\[0\]\.type: unknown provider type "sess" \(did you mean "ses"\?\)/),
        expect.stringMatching(/^providers\.yaml:8:14: providers\[1\]\.channel: /),
        expect.stringMatching(/^providers\.yaml:9:11: providers\[1\]\.rate: "fast" is not a rate/),
        expect.stringMatching(/^providers\.yaml:10:18: providers\[1\]\.concurrency: /),
        'providers.yaml:12:11: providers[2].name: provider name "a" is already used by providers[0]',
        expect.stringMatching(/^providers\.yaml:16:43: providers\[2\]\.senders\[0\]\.weight: /),
      ]),
    );
  });

  it('reports duplicate senders, empty senders and a channel the type cannot send', async () => {
    const e = await configError(
      loadProviders(
        ws(`providers:
  - name: a
    type: outbox
    channel: sms
    senders: ["+14155550100", "+14155550100"]
  - name: b
    type: outbox
    channel: email
    senders: []
  - name: c
    type: meta-whatsapp
    channel: sms
    access_token: \${T}
    senders: ["+14155550100"]
`),
        { T: 'token-token' },
      ),
    );
    expect(e.message).toContain('providers.yaml:5:31: providers[0].senders[1]: sender "+14155550100" is listed twice');
    expect(e.message).toContain('providers.yaml:9:5: providers[1].senders: at least one sender is needed');
    expect(e.message).toContain('providers.yaml:12:14: providers[2].channel: a meta-whatsapp provider sends whatsapp, not sms');
    expect(e.message).toContain('providers.yaml:14:15: providers[2].senders[0]: a meta-whatsapp sender is a phone-number id');
  });

  it('type-specific rules: twilio credentials, SID shapes, unknown keys', async () => {
    const e = await configError(
      loadProviders(
        ws(`providers:
  - name: t
    type: twilio
    channel: sms
    account_sid: AC123
    messaging_servce_sid: MG1
    senders: ["+14155550100"]
`),
        {},
      ),
    );
    expect(e.message).toContain('providers.yaml:5:18: providers[0].account_sid: expected an account SID');
    expect(e.message).toContain('providers.yaml:6:5: providers[0].messaging_servce_sid: unknown key "messaging_servce_sid"');
    expect(e.message).toContain('give either auth_token, or api_key_sid with api_key_secret');
  });

  it('a Twilio messaging service alone is the sender; meta ids keep every digit', async () => {
    const sid = 'AC' + 'a'.repeat(32);
    const [tw, meta] = await loadProviders(
      ws(`providers:
  - name: t
    type: twilio
    channel: whatsapp
    account_sid: ${sid}
    auth_token: \${TOK}
    messaging_service_sid: MG${'b'.repeat(32)}
  - name: m
    type: meta-whatsapp
    channel: whatsapp
    access_token: \${TOK}
    senders: [ 123456789012345678901 ]
`),
      { TOK: 'secret-token-value' },
    );
    expect(tw!.senders).toEqual([{ id: 'MG' + 'b'.repeat(32), weight: 1 }]);
    expect(meta!.senders[0]!.id).toBe('123456789012345678901');
    expect(meta!.settings).toMatchObject({ api_version: 'v23.0', base_url: 'https://graph.facebook.com' });
  });

  it('YAML syntax errors and a missing file are configuration errors', async () => {
    const e = await configError(loadProviders(ws('providers:\n  - name: a\n    type: [outbox\n'), {}));
    expect(e.message).toMatch(/^providers\.yaml:\d+:\d+: YAML: /);
    const empty = mkdtempSync(path.join(os.tmpdir(), 'mkt-load-'));
    dirs.push(empty);
    expect((await configError(loadProviders(empty, {}))).code).toBe('providers_missing');
    expect(await loadProviders(ws('# nothing yet\n'), {})).toEqual([]);
    expect((await configError(loadProviders(ws('provider:\n  - name: a\n'), {}))).message).toContain('providers.yaml:1:1: provider: unknown key "provider" (did you mean "providers"?)');
  });
});

describe('getProviderConfig and listProviders', () => {
  it('needs only the named provider’s environment', async () => {
    const dir = ws(SES);
    expect((await getProviderConfig(dir, {}, 'outbox')).name).toBe('outbox');
    expect((await configError(getProviderConfig(dir, {}, 'ses-eu'))).code).toBe('env_missing');
  });

  it('an unknown name is bad input (65) with a did-you-mean', async () => {
    const e = await getProviderConfig(ws(SES), ENV, 'ses-ue').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).message).toBe('no provider named "ses-ue" in providers.yaml (did you mean "ses-eu"?)');
  });

  it('lists without any environment, secrets masked', async () => {
    const list = await listProviders(ws(SES));
    expect(list.map((p) => p.name)).toEqual(['ses-eu', 'outbox']);
    expect(list[0]).toMatchObject({ rate: '14/s', concurrency: 16, settings: { region: 'eu-west-1', access_key_id: '***', secret_access_key: '***' } });
    expect(list[0]!.senders[0]).toEqual({ id: 'Acme News <news@m1.acme.example>', weight: 2, dailyCap: 50000 });
  });
});
