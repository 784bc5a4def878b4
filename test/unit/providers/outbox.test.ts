import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
// mailparser comes with aws-ses-v2-local (a dev dependency): an independent MIME parser to check our .eml files
import { simpleParser } from 'mailparser';
import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../../src/providers/contract.js';
import { createProvider } from '../../../src/providers/index.js';
import { quotedPrintable } from '../../../src/providers/outbox/mime.js';
import type { ProviderConfig } from '../../../src/providers/types.js';
import { emailMessage, ref, smsMessage, whatsappMessage } from './messages.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const now = () => new Date('2026-03-01T10:00:00Z');

function outbox(channel: 'email' | 'sms' | 'whatsapp', settings: Record<string, unknown> = {}) {
  const ws = mkdtempSync(path.join(os.tmpdir(), 'mkt-outbox-'));
  dirs.push(ws);
  const config: ProviderConfig = {
    name: `outbox-${channel}`,
    type: 'outbox',
    channel,
    senders: [{ id: 'x', weight: 1 }],
    settings: { dir: '.mkt/outbox', latency_ms: 0, reject_recipients: [], ...settings },
    source: 'providers.yaml:1:1',
  };
  return { ws, provider: createProvider(config, { workspace: ws, env: {}, now }) };
}

interface Parsed {
  subject: string;
  text: string;
  html: string;
  from: { value: Array<{ name: string; address: string }> };
  to: { text: string };
  messageId: string;
  date: Date;
  headers: Map<string, unknown>;
}

describe('outbox email', () => {
  it('writes one RFC 5322 MIME file per message that a mail parser reads back', async () => {
    const { ws, provider } = outbox('email');
    const p = await provider;
    const msg = emailMessage('ana@example.org', { subject: 'Frühlingsangebot — 25 % Rabatt 🌷', replyTo: 'help@acme.example' });
    const { providerMessageId } = await p.send(msg, 'Acme News <news@m1.acme.example>');
    await p.close?.();
    const file = path.join(ws, '.mkt/outbox/spring-sale/c42_r7_a1.eml');
    const raw = readFileSync(file, 'utf8');
    expect(raw).toMatch(/\r\n\r\n/);
    expect(raw).toMatch(/^Subject: =\?UTF-8\?B\?/m);
    expect(raw).toContain('Content-Type: multipart/alternative; boundary=');
    expect(raw).toContain('Date: Sun, 01 Mar 2026 10:00:00 +0000');
    const mail = (await simpleParser(raw)) as Parsed;
    expect(mail.subject).toBe(msg.subject);
    expect(mail.text.trim()).toBe(msg.text);
    expect(mail.html.trim()).toBe(msg.html);
    expect(mail.from.value[0]).toEqual({ name: 'Acme News', address: 'news@m1.acme.example' });
    expect(mail.to.text).toBe('ana@example.org');
    expect(mail.messageId).toBe(`<${providerMessageId}@m1.acme.example>`);
    expect(mail.date.toISOString()).toBe('2026-03-01T10:00:00.000Z');
    expect(raw).toContain('List-Unsubscribe: <https://u.acme.example/u/TOKEN123>');
    expect(raw).toContain('List-Unsubscribe-Post: List-Unsubscribe=One-Click');
    expect(raw).toContain('Reply-To: help@acme.example');
  });

  it('uses the message display name over the sender’s, encoded when not ASCII', async () => {
    const { ws, provider } = outbox('email');
    const p = await provider;
    await p.send(emailMessage('bo@example.org', { fromName: 'Zoë at Acme' }), 'Acme News <news@m1.acme.example>');
    const mail = (await simpleParser(readFileSync(path.join(ws, '.mkt/outbox/spring-sale/c42_r7_a1.eml')))) as Parsed;
    expect(mail.from.value[0]).toEqual({ name: 'Zoë at Acme', address: 'news@m1.acme.example' });
  });

  it('any subject and body survive the round trip (property)', async () => {
    const { ws, provider } = outbox('email');
    const p = await provider;
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 120, unit: 'grapheme' }), fc.string({ minLength: 1, maxLength: 400, unit: 'grapheme' }), async (subject, body) => {
        fc.pre(subject.trim() === subject && !/[\r\n]/.test(subject) && subject.length > 0);
        fc.pre(!/\r/.test(body) && body.trim() === body && body.length > 0);
        n++;
        const r = { ...ref(n), deliveryRef: `p${n}` };
        await p.send(emailMessage('ana@example.org', { subject, text: body, html: `<p>${body}</p>`, ref: r }), 'news@acme.example');
        const mail = (await simpleParser(readFileSync(path.join(ws, `.mkt/outbox/spring-sale/p${n}.eml`)))) as Parsed;
        expect(mail.subject).toBe(subject);
        expect(mail.text.replace(/\n$/, '')).toBe(body);
      }),
      { numRuns: 60, seed: 7 },
    );
  });

  it('quoted-printable lines stay within 76 characters and never split a UTF-8 sequence', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 500, unit: 'grapheme' }), (text) => {
        const qp = quotedPrintable(text);
        for (const line of qp.split('\r\n')) expect(line.length).toBeLessThanOrEqual(76);
        const decoded = Buffer.from(
          qp
            .replace(/=\r\n/g, '')
            .replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))),
          'latin1',
        ).toString('utf8');
        expect(decoded).toBe(text.replace(/\r\n?/g, '\n').replace(/\n/g, '\r\n'));
      }),
      { numRuns: 200, seed: 3 },
    );
  });
});

describe('outbox sms and whatsapp', () => {
  it('appends one JSON line per message to messages.jsonl, flushed by close()', async () => {
    const { ws, provider } = outbox('sms');
    const p = await provider;
    const ids = await Promise.all([0, 1, 2].map((i) => p.send(smsMessage(`+1415555010${i}`, { ref: ref(i) }), '+14155550100')));
    await p.close?.();
    const lines = readFileSync(path.join(ws, '.mkt/outbox/spring-sale/messages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(3);
    expect(lines.map((l) => l.id).sort()).toEqual(ids.map((i) => i.providerMessageId).sort());
    expect(lines[0]).toMatchObject({ channel: 'sms', from: '+14155550100', provider: 'outbox-sms', at: '2026-03-01T10:00:00.000Z' });
    expect(new Set(lines.map((l) => l.to))).toEqual(new Set(['+14155550100', '+14155550101', '+14155550102']));
  });

  it('whatsapp lines keep the template payloads', async () => {
    const { ws, provider } = outbox('whatsapp');
    const p = await provider;
    await p.send(whatsappMessage(), '+14155550200');
    await p.close?.();
    const [line] = readFileSync(path.join(ws, '.mkt/outbox/spring-sale/messages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(line.meta.name).toBe('spring_sale_v1');
    expect(line.twilio.contentSid).toMatch(/^HX/);
  });

  it('refuses another channel and rejects listed recipients', async () => {
    const { ws, provider } = outbox('sms', { reject_recipients: ['+15550000000'] });
    const p = await provider;
    await expect(p.send(emailMessage(), 'x')).rejects.toMatchObject({ kind: 'content' });
    const err = await p.send(smsMessage('+15550000000'), '+1').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).kind).toBe('recipient');
    await p.close?.();
    expect(existsSync(path.join(ws, '.mkt/outbox'))).toBe(false);
  });
});
