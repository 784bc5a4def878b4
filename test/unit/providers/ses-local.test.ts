/**
 * The SES provider against aws-ses-v2-local, an independent SES v2 emulator from npm, bound to
 * 127.0.0.1: what lands there (subject, bodies, From, List-Unsubscribe headers) is what SES gets.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import sesLocal from 'aws-ses-v2-local';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProvider } from '../../../src/providers/index.js';
import type { Provider } from '../../../src/providers/contract.js';
import { emailMessage } from './messages.js';

// a CommonJS module with `exports.default`: Node's ESM import and vitest's interop differ on which object is the default
const server = ((sesLocal as unknown as { default?: unknown }).default ?? sesLocal) as (config: { host: string; port: number }) => Promise<Server>;

let emulator: Server;
let url: string;
let provider: Provider;

beforeAll(async () => {
  emulator = await server({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(emulator.address() as AddressInfo).port}`;
  await fetch(`${url}/clear-store`, { method: 'POST' });
  provider = await createProvider(
    {
      name: 'ses-local',
      type: 'ses',
      channel: 'email',
      senders: [{ id: 'Acme News <news@m1.acme.example>', weight: 1 }],
      settings: { region: 'us-east-1', endpoint: url, access_key_id: 'AKIDLOCAL', secret_access_key: 'local-secret', configuration_set: 'mkt', connection_timeout_ms: 3000, request_timeout_ms: 5000 },
      source: 'providers.yaml:1:1',
    },
    { workspace: '/tmp', env: {}, now: () => new Date() },
  );
});

afterAll(async () => {
  await provider?.close?.();
  await new Promise((r) => emulator?.close(r));
});

describe('SES provider → aws-ses-v2-local', () => {
  it('delivers subject, HTML, text, From and the one-click unsubscribe headers', async () => {
    const msg = emailMessage('ana@example.org', { fromName: 'Acme Spring', replyTo: 'help@acme.example' });
    const { providerMessageId } = await provider.send(msg, 'Acme News <news@m1.acme.example>');
    expect(providerMessageId).toMatch(/^ses-\d+$/);
    const store = (await (await fetch(`${url}/store`)).json()) as {
      emails: Array<{ messageId: string; from: string; replyTo: string[]; destination: { to: string[] }; subject: string; body: { html?: string; text?: string }; headers?: Array<{ name: string; value: string }> }>;
    };
    const email = store.emails.find((e) => e.messageId === providerMessageId)!;
    expect(email).toBeDefined();
    expect(email.subject).toBe(msg.subject);
    expect(email.body.html).toBe(msg.html);
    expect(email.body.text).toBe(msg.text);
    expect(email.from).toBe('Acme Spring <news@m1.acme.example>');
    expect(email.replyTo).toEqual(['help@acme.example']);
    expect(email.destination.to).toEqual(['ana@example.org']);
    expect(email.headers).toEqual([
      { name: 'List-Unsubscribe', value: '<https://u.acme.example/u/TOKEN123>' },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ]);
  });

  it('check() reads quota, rate and status with GetAccount', async () => {
    process.env.AWS_SES_ACCOUNT = JSON.stringify({
      DedicatedIpAutoWarmupEnabled: false,
      Details: { AdditionalContactEmailAddresses: [], ContactLanguage: 'EN', MailType: 'MARKETING', ReviewDetails: { CaseId: '1', Status: 'GRANTED' }, UseCaseDescription: 'x', WebsiteURL: 'https://acme.example' },
      EnforcementStatus: 'HEALTHY',
      ProductionAccessEnabled: true,
      SendingEnabled: true,
      SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 1200 },
      SuppressionAttributes: { SuppressedReasons: ['BOUNCE'] },
    });
    try {
      const result = await provider.check!();
      expect(result.ok).toBe(true);
      expect(result.details).toMatchObject({ max24HourSend: 50000, maxSendRate: 14, sentLast24Hours: 1200, remaining24Hours: 48800, enforcementStatus: 'HEALTHY' });
    } finally {
      delete process.env.AWS_SES_ACCOUNT;
    }
  });

  it('the emulator’s untyped 400 is classified by status (content), not retried', async () => {
    await expect(provider.check!()).rejects.toMatchObject({ kind: 'content', httpStatus: 400 });
  });
});
