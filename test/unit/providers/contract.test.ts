/**
 * The provider contract suite: every provider type runs through the same table of cases
 * (send ok; each error kind it can produce; secrets never in errors or files; config errors with
 * positions; check()). A new provider type passes by adding one entry to ENTRIES.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { ProviderError, type OutgoingMessage, type Provider, type ProviderErrorKind } from '../../../src/providers/contract.js';
import { createProvider, getProviderConfig } from '../../../src/providers/index.js';
import { closedPort, type FakeServer } from '../../fakes/http.js';
import { startFakeMeta } from '../../fakes/meta.js';
import { startFakeSes } from '../../fakes/ses.js';
import { FAKE_TWILIO_SID, startFakeTwilio } from '../../fakes/twilio.js';
import { startFakeWebhook } from '../../fakes/webhook.js';
import { emailMessage, smsMessage, whatsappMessage } from './messages.js';

const ROOT = path.resolve(__dirname, '../../..');

interface ErrorCase {
  kind: ProviderErrorKind;
  label: string;
  /** Prepare the fault (usually an injection into the fake). */
  arrange?(fake: FakeServer<unknown>): void;
  /** Send this message instead of the entry's default. */
  message?: OutgoingMessage;
  /** Extra assertions on the error and the fake afterwards. */
  expect?(err: ProviderError, fake: FakeServer<unknown> | undefined): void;
}

interface Entry {
  type: string;
  name: string;
  /** The providers.yaml list item; `url` is the fake's base URL. Its first line is `  - name: …`. */
  yaml(url: string): string;
  env: Record<string, string>;
  /** Values that must never appear in an error message, a log line or a written file. */
  canaries: string[];
  startFake?(): Promise<FakeServer<unknown>>;
  message: OutgoingMessage;
  sender: string;
  /** What the fake (or the outbox folder) recorded for an accepted message. */
  accepted(fake: FakeServer<unknown> | undefined, ws: string): Array<{ to: string; ref?: string }>;
  errors: ErrorCase[];
  /** Provider talks to a server: a closed port must give `transient`. */
  network: boolean;
  /** A secret field, to prove a literal value there is refused (exit 78). */
  secretField?: string;
  check?(details: Record<string, unknown>): void;
}

const HTTP_ERRORS: ErrorCase[] = [
  { kind: 'throttled', label: 'throttle', arrange: (f) => f.inject({ type: 'throttle' }), expect: (_e, f) => expect(f!.requests.filter((r) => r.op === 'send')).toHaveLength(1) },
  { kind: 'ambiguous', label: '5xx', arrange: (f) => f.inject({ type: 'server-error', status: 503 }), expect: (_e, f) => expect(f!.requests).toHaveLength(1) },
  {
    kind: 'ambiguous',
    label: 'timeout after accept (one request, one receipt: no hidden retry)',
    arrange: (f) => f.inject({ type: 'timeout-after-accept' }),
    expect: (_e, f) => {
      expect(f!.receipts).toHaveLength(1);
      expect(f!.requests).toHaveLength(1);
    },
  },
  { kind: 'ambiguous', label: 'timeout before accept', arrange: (f) => f.inject({ type: 'timeout-before-accept' }), expect: (_e, f) => expect(f!.receipts).toHaveLength(0) },
  { kind: 'ambiguous', label: 'reset after accept', arrange: (f) => f.inject({ type: 'reset-after-accept' }), expect: (_e, f) => expect(f!.requests).toHaveLength(1) },
  { kind: 'fatal', label: 'auth rejected', arrange: (f) => f.inject({ type: 'auth' }) },
  { kind: 'fatal', label: 'account', arrange: (f) => f.inject({ type: 'account' }) },
  { kind: 'content', label: 'content rejected', arrange: (f) => f.inject({ type: 'content' }) },
];

const T = { timeout: 'request_timeout_ms: 600' };

const ENTRIES: Entry[] = [
  {
    type: 'ses',
    name: 'ses-test',
    yaml: (url) => `  - name: ses-test
    type: ses
    channel: email
    region: us-east-1
    endpoint: ${url}
    access_key_id: \${T_SES_KEY}
    secret_access_key: \${T_SES_SECRET}
    configuration_set: mkt-marketing
    ${T.timeout}
    concurrency: 4
    senders:
      - { address: "Acme News <news@m1.acme.example>", weight: 2 }
`,
    env: { T_SES_KEY: 'AKIDCANARY0000000001', T_SES_SECRET: 'canary-ses-secret-9f8e7d6c' },
    canaries: ['AKIDCANARY0000000001', 'canary-ses-secret-9f8e7d6c'],
    startFake: () => startFakeSes({ accessKeyId: 'AKIDCANARY0000000001' }),
    message: emailMessage(),
    sender: 'Acme News <news@m1.acme.example>',
    accepted: (f) => (f!.receipts as Array<{ to: string[]; tags: Record<string, string> }>).map((r) => ({ to: r.to[0]!, ref: r.tags.delivery })),
    network: true,
    secretField: 'secret_access_key',
    errors: [
      ...HTTP_ERRORS,
      {
        kind: 'throttled',
        label: 'daily quota',
        arrange: (f) => f.inject({ type: 'daily-quota' }),
        expect: (e) => expect(e.dailyQuota).toBe(true),
      },
      {
        kind: 'recipient',
        label: 'unverified recipient (sandbox)',
        arrange: (f) => f.inject({ type: 'reject-recipients', recipients: ['ana@example.org'] }),
        expect: (e) => expect(e.vendorCode).toBe('MessageRejected'),
      },
    ],
    check: (d) => {
      expect(d.maxSendRate).toBe(14);
      expect(d.max24HourSend).toBe(50000);
      expect(d.sendingEnabled).toBe(true);
    },
  },
  {
    type: 'twilio',
    name: 'twilio-sms',
    yaml: (url) => `  - name: twilio-sms
    type: twilio
    channel: sms
    account_sid: ${FAKE_TWILIO_SID}
    auth_token: \${T_TWILIO_TOKEN}
    status_callback: https://hooks.acme.example/twilio/status
    base_url: ${url}
    timeout_ms: 600
    senders: [ "+14155550100" ]
`,
    env: { T_TWILIO_TOKEN: 'canary-twilio-token-1a2b3c4d' },
    // the Basic auth header carries the token base64-encoded
    canaries: ['canary-twilio-token-1a2b3c4d', Buffer.from(`${FAKE_TWILIO_SID}:canary-twilio-token-1a2b3c4d`).toString('base64')],
    startFake: () => startFakeTwilio({ authToken: 'canary-twilio-token-1a2b3c4d' }),
    message: smsMessage(),
    sender: '+14155550100',
    accepted: (f) => (f!.receipts as Array<{ to: string; deliveryRef?: string }>).map((r) => ({ to: r.to, ref: r.deliveryRef })),
    network: true,
    secretField: 'auth_token',
    errors: [
      ...HTTP_ERRORS,
      {
        kind: 'throttled',
        label: 'Retry-After honoured',
        arrange: (f) => f.inject({ type: 'throttle', retryAfterSeconds: 7 }),
        expect: (e) => expect(e.retryAfterMs).toBe(7000),
      },
      {
        kind: 'recipient',
        label: '21610 STOP → suppress',
        arrange: (f) => f.inject({ type: 'reject-recipients', recipients: ['+447911123456'], code: 21610 }),
        expect: (e) => {
          expect(e.vendorCode).toBe('21610');
          expect(e.suppress).toBe('stop_keyword');
        },
      },
      { kind: 'recipient', label: 'invalid To (21211)', message: smsMessage('447911123456'), expect: (e) => expect(e.vendorCode).toBe('21211') },
    ],
    check: (d) => expect(d.status).toBe('active'),
  },
  {
    type: 'twilio',
    name: 'twilio-whatsapp',
    yaml: (url) => `  - name: twilio-whatsapp
    type: twilio
    channel: whatsapp
    account_sid: ${FAKE_TWILIO_SID}
    auth_token: \${T_TWILIO_TOKEN}
    messaging_service_sid: MG${'c'.repeat(32)}
    base_url: ${url}
    timeout_ms: 600
`,
    env: { T_TWILIO_TOKEN: 'canary-twilio-token-5e6f7a8b' },
    canaries: ['canary-twilio-token-5e6f7a8b', Buffer.from(`${FAKE_TWILIO_SID}:canary-twilio-token-5e6f7a8b`).toString('base64')],
    startFake: () => startFakeTwilio({ authToken: 'canary-twilio-token-5e6f7a8b' }),
    message: whatsappMessage(),
    sender: 'MG' + 'c'.repeat(32),
    accepted: (f) => (f!.receipts as Array<{ to: string; contentSid?: string }>).map((r) => ({ to: r.to.replace('whatsapp:', '') })),
    network: true,
    errors: [
      ...HTTP_ERRORS.filter((c) => c.label !== 'content rejected'),
      { kind: 'content', label: '63016 outside the window', arrange: (f) => f.inject({ type: 'vendor-error', status: 400, code: 63016, message: 'Failed to send freeform message because you are outside the allowed window.' }) },
      { kind: 'recipient', label: '63049 marketing template declined', arrange: (f) => f.inject({ type: 'reject-recipients', recipients: ['+447911123456'], code: 63049 }) },
    ],
  },
  {
    type: 'meta-whatsapp',
    name: 'meta',
    yaml: (url) => `  - name: meta
    type: meta-whatsapp
    channel: whatsapp
    access_token: \${T_META_TOKEN}
    api_version: v23.0
    base_url: ${url}
    timeout_ms: 600
    senders: [ "106540352242922" ]
`,
    env: { T_META_TOKEN: 'canary-meta-token-4d5e6f7a8b' },
    canaries: ['canary-meta-token-4d5e6f7a8b'],
    startFake: () => startFakeMeta({ accessToken: 'canary-meta-token-4d5e6f7a8b', phoneNumbers: ['106540352242922'] }),
    message: whatsappMessage(),
    sender: '106540352242922',
    accepted: (f) => (f!.receipts as Array<{ to: string; bizOpaqueCallbackData?: string }>).map((r) => ({ to: '+' + r.to, ref: r.bizOpaqueCallbackData })),
    network: true,
    secretField: 'access_token',
    errors: [
      ...HTTP_ERRORS,
      { kind: 'throttled', label: '131056 pair rate limit', arrange: (f) => f.inject({ type: 'vendor-error', status: 400, code: 131056, message: 'Pair rate limit hit' }) },
      {
        kind: 'fatal',
        label: '131048 spam rate limit pauses, never retried',
        arrange: (f) => f.inject({ type: 'vendor-error', status: 400, code: 131048, message: 'Spam rate limit hit' }),
        expect: (e) => expect(e.vendorCode).toBe('131048'),
      },
      { kind: 'recipient', label: '131026 undeliverable', arrange: (f) => f.inject({ type: 'reject-recipients', recipients: ['447911123456'] }) },
    ],
    check: (d) => expect((d.phoneNumbers as Array<{ id: string }>)[0]!.id).toBe('106540352242922'),
  },
  {
    type: 'outbox',
    name: 'outbox-sms',
    yaml: () => `  - name: outbox-sms
    type: outbox
    channel: sms
    reject_recipients: [ "+15550000000" ]
    senders: [ "+14155550100" ]
`,
    env: {},
    canaries: [],
    message: smsMessage(),
    sender: '+14155550100',
    accepted: (_f, ws) => {
      const file = path.join(ws, '.mkt/outbox/spring-sale/messages.jsonl');
      return readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { to: string; ref: { deliveryRef: string } })
        .map((r) => ({ to: r.to, ref: r.ref.deliveryRef }));
    },
    network: false,
    errors: [{ kind: 'recipient', label: 'reject_recipients', message: smsMessage('+15550000000') }],
    check: (d) => expect(String(d.dir)).toMatch(/\.mkt[/\\]outbox$/),
  },
  {
    type: 'module',
    name: 'gateway',
    yaml: (url) => `  - name: gateway
    type: module
    channel: sms
    module: ${path.join(ROOT, 'examples/providers/webhook-gateway.js')}
    options:
      url: ${url}
      api_token: \${T_GATEWAY_TOKEN}
      timeout_ms: 600
    senders: [ "+14155550100" ]
`,
    env: { T_GATEWAY_TOKEN: 'canary-gateway-token-0c1d2e3f' },
    canaries: ['canary-gateway-token-0c1d2e3f'],
    startFake: () => startFakeWebhook({ token: 'canary-gateway-token-0c1d2e3f' }),
    message: smsMessage(),
    sender: '+14155550100',
    accepted: (f) => (f!.receipts as Array<{ to: string; reference?: string }>).map((r) => ({ to: r.to, ref: r.reference })),
    network: true,
    errors: [
      ...HTTP_ERRORS,
      { kind: 'recipient', label: 'opted out → suppress', arrange: (f) => f.inject({ type: 'reject-recipients', recipients: ['+447911123456'], code: 'opted_out' }), expect: (e) => expect(e.suppress).toBe('unsubscribed') },
    ],
    check: (d) => expect(d.balance).toBe(42),
  },
];

function workspaceWith(yaml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-contract-'));
  writeFileSync(path.join(dir, 'providers.yaml'), `providers:\n${yaml}`);
  return dir;
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...filesUnder(full));
    else out.push(full);
  }
  return out;
}

const now = () => new Date('2026-03-01T10:00:00Z');

describe.each(ENTRIES)('provider contract: $name ($type)', (entry) => {
  let fake: FakeServer<unknown> | undefined;
  let ws: string;
  let provider: Provider;
  const seen: string[] = [];

  async function build(url: string): Promise<{ provider: Provider; ws: string }> {
    const dir = workspaceWith(entry.yaml(url));
    const config = await getProviderConfig(dir, entry.env, entry.name);
    return { provider: await createProvider(config, { workspace: dir, env: entry.env, now }), ws: dir };
  }

  beforeAll(async () => {
    fake = await entry.startFake?.();
    ({ provider, ws } = await build(fake?.url ?? 'http://127.0.0.1:9'));
  });
  afterAll(async () => {
    await provider?.close?.();
    await fake?.close();
    // secrets never in anything written, nor in any error seen by this suite
    const written = filesUnder(ws).map((f) => readFileSync(f, 'utf8'));
    for (const canary of entry.canaries) {
      for (const text of [...written, ...seen]) expect(text).not.toContain(canary);
    }
    rmSync(ws, { recursive: true, force: true });
  });

  async function sendExpectingError(message: OutgoingMessage, p: Provider = provider): Promise<ProviderError> {
    const err = await p.send(message, entry.sender).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ProviderError);
    const pe = err as ProviderError;
    // everything a careless log line could print, causes included
    seen.push(pe.message, String(pe), JSON.stringify({ ...pe }), inspect(pe, { depth: 8 }));
    return pe;
  }

  it('sends one message and returns the provider message id', async () => {
    fake?.clear();
    const { providerMessageId } = await provider.send(entry.message, entry.sender);
    expect(providerMessageId).toMatch(/\S{6,}/);
    const accepted = entry.accepted(fake, ws);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.to).toBe(entry.message.to);
    if (accepted[0]!.ref !== undefined) expect(accepted[0]!.ref).toBe(entry.message.ref.deliveryRef);
  });

  it.each(entry.errors)('$label → $kind', async (c) => {
    fake?.clear();
    c.arrange?.(fake!);
    const err = await sendExpectingError(c.message ?? entry.message);
    expect(err.kind).toBe(c.kind);
    c.expect?.(err, fake);
    fake?.clearFaults();
  });

  it.runIf(entry.network)('a refused connection → transient (the request never left)', async () => {
    const port = await closedPort();
    const { provider: p, ws: dir } = await build(`http://127.0.0.1:${port}`);
    try {
      const err = await sendExpectingError(entry.message, p);
      expect(err.kind).toBe('transient');
    } finally {
      await p.close?.();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(entry.check)('check() makes a live read-only call', async () => {
    fake?.clear();
    const result = await provider.check!();
    expect(result.ok).toBe(true);
    entry.check!(result.details);
    expect(fake?.receipts ?? []).toHaveLength(0);
    for (const canary of entry.canaries) expect(JSON.stringify(result)).not.toContain(canary);
  });

  it.runIf(entry.check && entry.network)('check() with rejected credentials → fatal', async () => {
    fake!.clear();
    fake!.inject({ type: 'auth' });
    const err = await provider.check!().then(
      () => undefined,
      (e: unknown) => e as ProviderError,
    );
    expect(err?.kind).toBe('fatal');
    seen.push(String(err?.message));
    fake!.clearFaults();
  });

  it('config errors point at providers.yaml:line:col with the YAML path', async () => {
    const lines = entry.yaml('http://127.0.0.1:9').split('\n');
    // an unknown key right after the name line: line 3 of the file ("providers:" is line 1)
    lines.splice(1, 0, '    colour: blue');
    const dir = workspaceWith(lines.join('\n'));
    try {
      const err = await getProviderConfig(dir, entry.env, entry.name).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).message).toContain('providers.yaml:3:5: providers[0].colour: unknown key "colour"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(entry.canaries.length > 0)('a missing environment variable is named, no secret printed', async () => {
    const name = Object.keys(entry.env)[0]!;
    const env = { ...entry.env };
    delete env[name];
    const dir = workspaceWith(entry.yaml('http://127.0.0.1:9'));
    try {
      const err = (await getProviderConfig(dir, env, entry.name).catch((e: unknown) => e)) as ConfigError;
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.code).toBe('env_missing');
      expect(err.message).toMatch(new RegExp(`^providers\\.yaml:\\d+:\\d+: providers\\[0\\]\\.\\S+: environment variable ${name} is not set$`));
      for (const canary of entry.canaries) expect(JSON.stringify(err.toJSON())).not.toContain(canary);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.runIf(entry.secretField)('a literal secret is a configuration error that does not echo it', async () => {
    const field = entry.secretField!;
    const yaml = entry.yaml('http://127.0.0.1:9').replace(new RegExp(`(${field}: )\\$\\{\\w+\\}`), '$1literal-canary-value-77');
    const dir = workspaceWith(yaml);
    try {
      const err = (await getProviderConfig(dir, entry.env, entry.name).catch((e: unknown) => e)) as ConfigError;
      expect(err).toBeInstanceOf(ConfigError);
      expect(err.code).toBe('literal_secret');
      const line = yaml.split('\n').findIndex((l) => l.includes(`${field}:`)) + 2;
      expect(err.message).toContain(`providers.yaml:${line}:`);
      expect(JSON.stringify(err.toJSON())).not.toContain('literal-canary-value-77');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
