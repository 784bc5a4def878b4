/** Messages for provider tests, one per channel, with a delivery ref the fakes echo back. */
import type { EmailMessage, MessageRef, SmsMessage, WhatsAppMessage } from '../../../src/providers/contract.js';

export function ref(recipientId = 7, attempt = 1, campaign = 'spring-sale'): MessageRef {
  return { campaign, campaignId: 42, recipientId, attempt, deliveryRef: `c42_r${recipientId}_a${attempt}` };
}

export function emailMessage(to = 'ana@example.org', over: Partial<EmailMessage> = {}): EmailMessage {
  return {
    channel: 'email',
    to,
    subject: 'Spring sale — 25 % off',
    html: '<p>Hello Ana, <a href="https://acme.example/sale">shop now</a></p>',
    text: 'Hello Ana, shop now: https://acme.example/sale',
    headers: [
      { name: 'List-Unsubscribe', value: '<https://u.acme.example/u/TOKEN123>' },
      { name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' },
    ],
    ref: ref(),
    ...over,
  };
}

export function smsMessage(to = '+447911123456', over: Partial<SmsMessage> = {}): SmsMessage {
  return { channel: 'sms', to, body: 'Acme: 25% off this week. Reply STOP to opt out.', ref: ref(), ...over };
}

export function whatsappMessage(to = '+447911123456', over: Partial<WhatsAppMessage> = {}): WhatsAppMessage {
  return {
    channel: 'whatsapp',
    to,
    text: 'Hi Ana, use SPRING25 for 25% off',
    meta: {
      name: 'spring_sale_v1',
      language: { code: 'en_US' },
      components: [{ type: 'body', parameters: [{ type: 'text', text: 'Ana' }, { type: 'text', text: 'SPRING25' }] }],
    },
    twilio: { contentSid: 'HX' + 'b'.repeat(32), contentVariables: JSON.stringify({ 1: 'Ana', 2: 'SPRING25' }) },
    ref: ref(),
    ...over,
  };
}
