/**
 * Meta WhatsApp Cloud API provider: POST /{version}/{phone-number-id}/messages with the template
 * from the rendered message, the delivery ref in `biz_opaque_callback_data`; GET the phone number
 * as the live check. The Graph client is passed in.
 */
import type { Channel } from '../../channels.js';
import { ProviderError, type CheckResult, type OutgoingMessage, type Provider, type SendResult, type WhatsAppMessage } from '../contract.js';
import { classifyNetworkError } from '../net/classify.js';
import { NetworkError } from '../net/http-json.js';
import type { MetaGraphClient } from './client.js';
import type { MetaConfig } from './config.js';
import { classifyMetaResponse } from './errors.js';

/** The `/messages` body (docs/provider-facts.md §5): `to` is digits without `+`. */
export function metaMessageBody(message: WhatsAppMessage): Record<string, unknown> {
  const base = {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: message.to.replace(/^whatsapp:/, '').replace(/[^\d]/g, ''),
    biz_opaque_callback_data: message.ref.deliveryRef,
  };
  if (message.freeform) return { ...base, type: 'text', text: { body: message.text } };
  return { ...base, type: 'template', template: message.meta };
}

function classifyFailure(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  return classifyNetworkError(err, 'meta-whatsapp', err instanceof NetworkError ? err.connected : undefined);
}

export class MetaWhatsAppProvider implements Provider {
  readonly type = 'meta-whatsapp';
  readonly name: string;
  readonly channel: Channel = 'whatsapp';

  constructor(
    private readonly config: MetaConfig,
    private readonly client: MetaGraphClient,
  ) {
    this.name = config.name;
  }

  async send(message: OutgoingMessage, sender: string): Promise<SendResult> {
    if (message.channel !== 'whatsapp') throw new ProviderError('content', `meta-whatsapp: cannot send a ${message.channel} message`);
    let res;
    try {
      res = await this.client.request('POST', `${encodeURIComponent(sender)}/messages`, metaMessageBody(message));
    } catch (err) {
      throw classifyFailure(err);
    }
    if (res.status >= 200 && res.status < 300) {
      const id = (res.body as { messages?: Array<{ id?: string }> } | undefined)?.messages?.[0]?.id;
      if (!id) throw new ProviderError('ambiguous', `meta-whatsapp: HTTP ${res.status} without messages[0].id`, { httpStatus: res.status });
      return { providerMessageId: id };
    }
    throw classifyMetaResponse(res.status, res.body, res.headers);
  }

  /** Reads each sender's phone number: name, quality rating, throughput (read-only). */
  async check(): Promise<CheckResult> {
    const numbers: Array<Record<string, unknown>> = [];
    for (const sender of this.config.senders) {
      let res;
      try {
        res = await this.client.request('GET', `${encodeURIComponent(sender.id)}?fields=id,display_phone_number,verified_name,quality_rating,messaging_limit_tier,throughput`);
      } catch (err) {
        throw classifyFailure(err);
      }
      if (res.status !== 200) throw classifyMetaResponse(res.status, res.body, res.headers);
      numbers.push(res.body as Record<string, unknown>);
    }
    return { ok: true, details: { apiVersion: this.config.settings.api_version, phoneNumbers: numbers } };
  }

  async close(): Promise<void> {
    this.client.close();
  }
}
