/**
 * Adapter details beyond the contract suite: request shapes per channel, sender forms,
 * alternative credentials, refusals of the wrong channel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createProvider } from '../../../src/providers/index.js';
import type { ProviderConfig } from '../../../src/providers/types.js';
import { sendEmailInput, sesTagValue } from '../../../src/providers/ses/adapter.js';
import { formatMailbox, parseMailbox } from '../../../src/providers/email-address.js';
import { startFakeMeta, type MetaReceipt } from '../../fakes/meta.js';
import { FAKE_TWILIO_SID, startFakeTwilio, type TwilioReceipt } from '../../fakes/twilio.js';
import { emailMessage, smsMessage, whatsappMessage } from './messages.js';

const cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});
const ctx = { workspace: '/tmp', env: {}, now: () => new Date() };

async function make(config: ProviderConfig) {
  const p = await createProvider(config, ctx);
  cleanup.push(async () => p.close?.());
  return p;
}

describe('twilio', () => {
  const base = (url: string, channel: 'sms' | 'whatsapp', extra: Record<string, unknown> = {}): ProviderConfig => ({
    name: 't',
    type: 'twilio',
    channel,
    senders: [{ id: '+14155550100', weight: 1 }],
    settings: { account_sid: FAKE_TWILIO_SID, auth_token: 'fake-auth-token', base_url: url, timeout_ms: 5000, ...extra },
    source: 't',
  });

  it('WhatsApp: whatsapp:+E164 on both ends, ContentSid + ContentVariables, no Body', async () => {
    const fake = await startFakeTwilio();
    cleanup.push(() => fake.close());
    const p = await make(base(fake.url, 'whatsapp'));
    await p.send(whatsappMessage(), '+14155550100');
    const r = fake.receipts[0] as TwilioReceipt;
    expect(r).toMatchObject({ to: 'whatsapp:+447911123456', from: 'whatsapp:+14155550100', contentSid: 'HX' + 'b'.repeat(32), contentVariables: '{"1":"Ana","2":"SPRING25"}' });
    expect(r.body).toBeUndefined();
  });

  it('WhatsApp without a ContentSid is a content error (nothing sent); --text goes free-form as Body', async () => {
    const fake = await startFakeTwilio();
    cleanup.push(() => fake.close());
    const p = await make(base(fake.url, 'whatsapp'));
    await expect(p.send(whatsappMessage('+447911123456', { twilio: { contentVariables: '{}' } }), '+14155550100')).rejects.toMatchObject({ kind: 'content' });
    expect(fake.requests).toHaveLength(0);
    await p.send(whatsappMessage('+447911123456', { freeform: true }), '+14155550100');
    expect((fake.receipts[0] as TwilioReceipt).body).toBe('Hi Ana, use SPRING25 for 25% off');
  });

  it('a provider-level messaging service goes along with a From number; API key credentials work', async () => {
    const key = 'SK' + 'd'.repeat(32);
    const fake = await startFakeTwilio({ apiKeys: { [key]: 'api-key-secret' } });
    cleanup.push(() => fake.close());
    const p = await make(base(fake.url, 'sms', { auth_token: undefined, api_key_sid: key, api_key_secret: 'api-key-secret', messaging_service_sid: 'MG' + 'e'.repeat(32) }));
    await p.send(smsMessage(), '+14155550100');
    expect(fake.receipts[0]).toMatchObject({ from: '+14155550100', messagingServiceSid: 'MG' + 'e'.repeat(32), body: smsMessage().body });
  });

  it('refuses a message of another channel', async () => {
    const p = await make(base('http://127.0.0.1:9', 'sms'));
    await expect(p.send(emailMessage(), '+14155550100')).rejects.toMatchObject({ kind: 'content' });
  });
});

describe('meta-whatsapp', () => {
  it('posts the template with to as digits and the delivery ref as callback data; --text goes as type text', async () => {
    const fake = await startFakeMeta();
    cleanup.push(() => fake.close());
    const p = await make({
      name: 'm',
      type: 'meta-whatsapp',
      channel: 'whatsapp',
      senders: [{ id: '106540352242922', weight: 1 }],
      settings: { access_token: 'fake-meta-token', api_version: 'v21.0', base_url: fake.url + '/', connection_timeout_ms: 3000, timeout_ms: 5000 },
      source: 't',
    });
    const { providerMessageId } = await p.send(whatsappMessage('+44 7911 123456'), '106540352242922');
    const r = fake.receipts[0] as MetaReceipt;
    expect(providerMessageId).toBe(r.id);
    expect(r).toMatchObject({ phoneNumberId: '106540352242922', apiVersion: 'v21.0', to: '447911123456', type: 'template', bizOpaqueCallbackData: 'c42_r7_a1' });
    expect(r.template).toEqual(whatsappMessage().meta);
    await p.send(whatsappMessage('+447911123456', { freeform: true }), '106540352242922');
    expect(fake.receipts[1]).toMatchObject({ type: 'text', text: 'Hi Ana, use SPRING25 for 25% off' });
  });
});

describe('ses request shape', () => {
  it('From from the sender (message name wins), reserved headers dropped, tags sanitised', () => {
    const input = sendEmailInput(
      emailMessage('ana@example.org', {
        fromName: 'Acme, Inc.',
        headers: [
          { name: 'List-Unsubscribe', value: '<https://u.example/x>' },
          { name: 'Subject', value: 'sneaky' },
          { name: 'List-Unsubscribe', value: 'duplicate' },
          { name: 'X-Note', value: 'Grüße' },
        ],
        ref: { campaign: 'Spring Sale 2026!', campaignId: 1, recipientId: 2, attempt: 1, deliveryRef: 'c1_r2_a1' },
      }),
      'News <news@acme.example>',
      'mkt-marketing',
    );
    expect(input.FromEmailAddress).toBe('"Acme, Inc." <news@acme.example>');
    expect(input.ConfigurationSetName).toBe('mkt-marketing');
    expect(input.EmailTags).toEqual([
      { Name: 'campaign', Value: 'Spring_Sale_2026_' },
      { Name: 'delivery', Value: 'c1_r2_a1' },
    ]);
    expect(input.Content!.Simple!.Headers).toEqual([
      { Name: 'List-Unsubscribe', Value: '<https://u.example/x>' },
      { Name: 'X-Note', Value: '=?UTF-8?B?R3LDvMOfZQ==?=' },
    ]);
    expect(sesTagValue('x'.repeat(300))).toHaveLength(256);
    expect(sesTagValue('')).toBe('_');
  });

  it('mailboxes: parse and format round trip, non-ASCII names as encoded-words', () => {
    expect(parseMailbox('"Acme \\"News\\"" <a@b.example>')).toEqual({ name: 'Acme "News"', address: 'a@b.example' });
    expect(parseMailbox('a@b.example')).toEqual({ address: 'a@b.example' });
    expect(formatMailbox({ name: 'Zoë', address: 'z@b.example' })).toBe('=?UTF-8?B?Wm/Dqw==?= <z@b.example>');
    expect(formatMailbox(parseMailbox('Acme News <news@m1.acme.example>'))).toBe('Acme News <news@m1.acme.example>');
  });
});
