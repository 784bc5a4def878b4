/**
 * The fakes themselves, and what they prove about the clients: one socket per unit of
 * concurrency, seeded fault probabilities, lookups by delivery ref for reconcile tests.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Provider } from '../../../src/providers/contract.js';
import { createProvider } from '../../../src/providers/index.js';
import type { ProviderConfig } from '../../../src/providers/types.js';
import type { FakeServer } from '../../fakes/http.js';
import { startFakeMeta } from '../../fakes/meta.js';
import { startFakeSes } from '../../fakes/ses.js';
import { FAKE_TWILIO_SID, startFakeTwilio } from '../../fakes/twilio.js';
import { emailMessage, ref, smsMessage, whatsappMessage } from './messages.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

const ctx = { workspace: '/tmp', env: {}, now: () => new Date() };

async function setup(kind: 'ses' | 'twilio' | 'meta', concurrency: number): Promise<{ fake: FakeServer<unknown>; provider: Provider; send: (i: number) => Promise<unknown> }> {
  let fake: FakeServer<unknown>;
  let config: ProviderConfig;
  let send: (p: Provider, i: number) => Promise<unknown>;
  if (kind === 'ses') {
    fake = await startFakeSes();
    config = { name: 's', type: 'ses', channel: 'email', concurrency, senders: [{ id: 'a@acme.example', weight: 1 }], settings: { region: 'us-east-1', endpoint: fake.url, access_key_id: 'AKIDFAKE', secret_access_key: 'x', connection_timeout_ms: 3000, request_timeout_ms: 5000 }, source: 't' };
    send = (p, i) => p.send(emailMessage(`r${i}@example.org`, { ref: ref(i) }), 'a@acme.example');
  } else if (kind === 'twilio') {
    fake = await startFakeTwilio();
    config = { name: 't', type: 'twilio', channel: 'sms', concurrency, senders: [{ id: '+14155550100', weight: 1 }], settings: { account_sid: FAKE_TWILIO_SID, auth_token: 'fake-auth-token', base_url: fake.url, timeout_ms: 5000, status_callback: 'https://hooks.example/s?x=1' }, source: 't' };
    send = (p, i) => p.send(smsMessage(`+1415555${String(1000 + i)}`, { ref: ref(i) }), '+14155550100');
  } else {
    fake = await startFakeMeta();
    config = { name: 'm', type: 'meta-whatsapp', channel: 'whatsapp', concurrency, senders: [{ id: '1065403522', weight: 1 }], settings: { access_token: 'fake-meta-token', api_version: 'v23.0', base_url: fake.url, connection_timeout_ms: 3000, timeout_ms: 5000 }, source: 't' };
    send = (p, i) => p.send(whatsappMessage(`+1415555${String(1000 + i)}`, { ref: ref(i) }), '1065403522');
  }
  const provider = await createProvider(config, ctx);
  cleanup.push(() => fake.close(), async () => provider.close?.());
  return { fake, provider, send: (i) => send(provider, i) };
}

describe.each(['ses', 'twilio', 'meta'] as const)('%s client against its fake', (kind) => {
  it('never has more requests in flight than the provider concurrency', async () => {
    const { fake, send } = await setup(kind, 3);
    fake.inject({ type: 'latency', ms: 20 });
    await Promise.all(Array.from({ length: 12 }, (_, i) => send(i)));
    expect(fake.receipts).toHaveLength(12);
    expect(fake.maxConcurrent).toBe(3);
  });

  it('records the delivery ref where the vendor echoes it back', async () => {
    const { fake, send } = await setup(kind, 2);
    await send(5);
    const byDelivery = (fake as unknown as { byDelivery(r: string): unknown[] }).byDelivery;
    expect(byDelivery('c42_r5_a1')).toHaveLength(1);
    expect(byDelivery('c42_r6_a1')).toHaveLength(0);
  });
});

describe('fault injection', () => {
  it('probability faults follow the seed: same seed, same pattern', async () => {
    const pattern = async () => {
      const { fake, send } = await setup('twilio', 1);
      fake.inject({ type: 'throttle', probability: 0.5 });
      const out: string[] = [];
      for (let i = 0; i < 20; i++) out.push(await send(i).then(() => 'ok', (e: { kind: string }) => e.kind));
      return out;
    };
    const a = await pattern();
    const b = await pattern();
    expect(a).toEqual(b);
    expect(a).toContain('ok');
    expect(a).toContain('throttled');
  });

  it('`times` limits a fault to the next N calls, then the fake recovers', async () => {
    const { fake, send } = await setup('meta', 1);
    fake.inject({ type: 'server-error', times: 2 });
    const kinds = [];
    for (let i = 0; i < 3; i++) kinds.push(await send(i).then(() => 'ok', (e: { kind: string }) => e.kind));
    expect(kinds).toEqual(['ambiguous', 'ambiguous', 'ok']);
    expect(fake.receipts).toHaveLength(1);
  });

  it('per-recipient rejections hit only the listed recipients', async () => {
    const { fake, send } = await setup('twilio', 1);
    fake.inject({ type: 'reject-recipients', recipients: ['+14155551001'], code: 21610 });
    const results = [];
    for (let i = 0; i < 3; i++) results.push(await send(i).then(() => 'ok', (e: { kind: string; suppress?: string }) => `${e.kind}:${e.suppress}`));
    expect(results).toEqual(['ok', 'recipient:stop_keyword', 'ok']);
  });

  it('the Twilio status callback keeps its own query and gains d=<delivery ref>', async () => {
    const { fake, send } = await setup('twilio', 1);
    await send(9);
    expect((fake.receipts[0] as { statusCallback: string }).statusCallback).toBe('https://hooks.example/s?x=1&d=c42_r9_a1');
  });
});

describe('control over HTTP (a fake in another process)', () => {
  it('inject, receipts, stats and clear work over /__fake/ and do not count as traffic', async () => {
    const { fake, send } = await setup('ses', 2);
    expect((await fetch(`${fake.url}/__fake/inject`, { method: 'POST', body: JSON.stringify({ type: 'throttle', times: 1 }) })).status).toBe(204);
    await expect(send(1)).rejects.toMatchObject({ kind: 'throttled' });
    await send(2);
    const receipts = (await (await fetch(`${fake.url}/__fake/receipts`)).json()) as Array<{ to: string[] }>;
    expect(receipts.map((r) => r.to[0])).toEqual(['r2@example.org']);
    expect(await (await fetch(`${fake.url}/__fake/stats`)).json()).toEqual({ requests: 2, maxConcurrent: 1, inFlight: 0 });
    await fetch(`${fake.url}/__fake/clear`, { method: 'POST' });
    expect(fake.receipts).toHaveLength(0);
  });
});
