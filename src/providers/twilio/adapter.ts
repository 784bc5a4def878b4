/**
 * Twilio Messaging provider: SMS (To/From or MessagingServiceSid, Body) and WhatsApp
 * (`whatsapp:+E164`, ContentSid + ContentVariables). The twilio client is passed in.
 */
import type { Twilio } from 'twilio';
import type { Channel } from '../../channels.js';
import { ProviderError, type CheckResult, type OutgoingMessage, type Provider, type SendResult } from '../contract.js';
import type { TwilioConfig } from './config.js';
import { classifyTwilioError } from './errors.js';

/** The status callback with `d=<delivery ref>` added, so a callback finds its ledger row. */
export function callbackUrl(base: string, deliveryRef: string): string {
  const url = new URL(base);
  url.searchParams.set('d', deliveryRef);
  return url.toString();
}

const whatsapp = (n: string) => (n.startsWith('whatsapp:') ? n : `whatsapp:${n}`);

export function messageParams(config: TwilioConfig, message: OutgoingMessage, sender: string): Record<string, unknown> {
  const s = config.settings;
  const params: Record<string, unknown> = {};
  const isWhatsApp = message.channel === 'whatsapp';
  params.to = isWhatsApp ? whatsapp(message.to) : message.to;
  // A sender is a number (From) or a messaging service SID; a provider-level service goes along
  // with a From number ("instead of or in addition to a specific From", Twilio docs).
  if (sender.startsWith('MG')) params.messagingServiceSid = sender;
  else {
    params.from = isWhatsApp ? whatsapp(sender) : sender;
    if (s.messaging_service_sid) params.messagingServiceSid = s.messaging_service_sid;
  }
  if (message.channel === 'sms') params.body = message.body;
  else if (message.channel === 'whatsapp') {
    if (message.freeform || !message.twilio.contentSid) {
      if (!message.freeform) throw new ProviderError('content', 'twilio: this WhatsApp template has no Twilio ContentSid (add `twilio: { content_sid: HX… }` to the template)');
      params.body = message.text;
    } else {
      params.contentSid = message.twilio.contentSid;
      params.contentVariables = message.twilio.contentVariables;
    }
  }
  if (s.status_callback) params.statusCallback = callbackUrl(s.status_callback, message.ref.deliveryRef);
  return params;
}

export class TwilioProvider implements Provider {
  readonly type = 'twilio';
  readonly name: string;
  readonly channel: Channel;

  constructor(
    private readonly config: TwilioConfig,
    private readonly client: Twilio,
    private readonly onClose: () => void = () => {},
  ) {
    this.name = config.name;
    this.channel = config.channel;
  }

  async send(message: OutgoingMessage, sender: string): Promise<SendResult> {
    if (message.channel === 'email' || message.channel !== this.channel) throw new ProviderError('content', `twilio: this provider sends ${this.channel}, not ${message.channel}`);
    const params = messageParams(this.config, message, sender);
    try {
      const created = await this.client.messages.create(params as never);
      return { providerMessageId: created.sid };
    } catch (err) {
      throw classifyTwilioError(err);
    }
  }

  async check(): Promise<CheckResult> {
    try {
      const account = await this.client.api.v2010.accounts(this.config.settings.account_sid).fetch();
      const details = { accountSid: account.sid, friendlyName: account.friendlyName, status: account.status, type: account.type };
      return { ok: account.status === 'active', details };
    } catch (err) {
      throw classifyTwilioError(err);
    }
  }

  async close(): Promise<void> {
    this.onClose();
  }
}
