/** The cores of `provider check` and `provider test`, called directly. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InputError, UnavailableError, UsageError } from '../../../src/errors.js';
import { checkProvider, sendTestMessage, textMessage } from '../../../src/providers/operations.js';
import { startFakeSes } from '../../fakes/ses.js';
import { ref } from './messages.js';

const cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

async function sesWorkspace(account: Record<string, unknown> = {}) {
  const fake = await startFakeSes({ account });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-ops-'));
  cleanup.push(() => fake.close(), () => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(
    path.join(dir, 'providers.yaml'),
    `providers:\n  - name: ses\n    type: ses\n    channel: email\n    region: us-east-1\n    endpoint: ${fake.url}\n    access_key_id: \${K}\n    secret_access_key: \${S}\n    senders: [ "a@acme.example", "b@acme.example" ]\n`,
  );
  return { fake, ctx: { workspace: dir, env: { K: 'AKIDFAKE', S: 'secret-secret' }, now: () => new Date('2026-03-01T10:00:00Z') } };
}

describe('checkProvider', () => {
  it('reports config, the variables used and the live account; ok=false when sending is disabled', async () => {
    const { ctx } = await sesWorkspace({ SendingEnabled: false, EnforcementStatus: 'SHUTDOWN' });
    const report = await checkProvider(ctx, 'ses');
    expect(report).toMatchObject({ name: 'ses', config: 'valid', env: ['K', 'S'], senders: ['a@acme.example', 'b@acme.example'], live: { available: true, ok: false, details: { sendingEnabled: false, enforcementStatus: 'SHUTDOWN' } } });
  });

  it('a throttled live call is "unavailable" (69) with the kind in details', async () => {
    const { fake, ctx } = await sesWorkspace();
    fake.inject({ type: 'throttle' });
    const e = await checkProvider(ctx, 'ses').catch((err: unknown) => err);
    expect(e).toBeInstanceOf(UnavailableError);
    expect((e as UnavailableError).details).toMatchObject({ kind: 'throttled', vendorCode: 'TooManyRequestsException', httpStatus: 429 });
  });
});

describe('sendTestMessage', () => {
  it('sends from the chosen sender with a test delivery ref', async () => {
    const { fake, ctx } = await sesWorkspace();
    const r = await sendTestMessage(ctx, { name: 'ses', to: 'ana@example.org', text: 'Hi <there>', subject: 'Hello', from: 'b@acme.example' });
    expect(r).toMatchObject({ sender: 'b@acme.example', deliveryRef: 'test_1772359200000', providerMessageId: fake.receipts[0]!.messageId });
    expect(fake.receipts[0]).toMatchObject({ from: 'b@acme.example', subject: 'Hello', text: 'Hi <there>', html: '<p>Hi &lt;there&gt;</p>' });
  });

  it('refuses an unknown sender or a bad address before sending; a rejected recipient is bad input', async () => {
    const { fake, ctx } = await sesWorkspace();
    await expect(sendTestMessage(ctx, { name: 'ses', to: 'ana@example.org', text: 'x', from: 'c@acme.example' })).rejects.toBeInstanceOf(UsageError);
    await expect(sendTestMessage(ctx, { name: 'ses', to: '+447911123456', text: 'x' })).rejects.toBeInstanceOf(UsageError);
    expect(fake.requests).toHaveLength(0);
    fake.inject({ type: 'reject-recipients', recipients: ['ana@example.org'] });
    const e = await sendTestMessage(ctx, { name: 'ses', to: 'ana@example.org', text: 'x' }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(InputError);
    expect((e as InputError).code).toBe('provider_recipient');
  });

  it('text messages per channel: WhatsApp goes free-form', () => {
    expect(textMessage('sms', '+1', 'hi', ref())).toMatchObject({ channel: 'sms', body: 'hi' });
    expect(textMessage('whatsapp', '+1', 'hi', ref())).toMatchObject({ channel: 'whatsapp', text: 'hi', freeform: true });
    expect(textMessage('email', 'a@b.c', 'a\nb', ref())).toMatchObject({ subject: 'mkt test message', html: '<p>a<br>b</p>' });
  });
});
