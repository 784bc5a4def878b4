/**
 * Amazon SES v2 provider: one SendEmail per message with Simple content (subject, text, HTML and
 * the List-Unsubscribe headers), tags for event matching, and GetAccount as the live check.
 * The SDK client is passed in (built with retries off by ./create.ts), so tests can aim it anywhere.
 */
import { GetAccountCommand, SendEmailCommand, type SESv2Client, type MessageHeader, type SendEmailCommandInput } from '@aws-sdk/client-sesv2';
import type { Channel } from '../../channels.js';
import { ProviderError, type CheckResult, type EmailMessage, type MessageRef, type OutgoingMessage, type Provider, type SendResult } from '../contract.js';
import { encodeHeaderText, formatMailbox, fromMailbox } from '../email-address.js';
import type { SesConfig } from './config.js';
import { classifySesError } from './errors.js';

/** Headers SES sets itself and refuses in Simple content (docs/provider-facts.md §1). */
const RESERVED_HEADERS = new Set(['bcc', 'cc', 'content-disposition', 'content-type', 'date', 'from', 'message-id', 'mime-version', 'reply-to', 'return-path', 'subject', 'to']);

/** SES tag names and values: `[A-Za-z0-9_-]`, at most 256 characters. */
export function sesTagValue(value: string): string {
  const clean = value.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 256);
  return clean || '_';
}

export function sesTags(ref: MessageRef): Array<{ Name: string; Value: string }> {
  return [
    { Name: 'campaign', Value: sesTagValue(ref.campaign) },
    { Name: 'delivery', Value: sesTagValue(ref.deliveryRef) },
  ];
}

export function sesHeaders(message: EmailMessage): MessageHeader[] {
  const seen = new Set<string>();
  const out: MessageHeader[] = [];
  for (const h of message.headers) {
    const key = h.name.toLowerCase();
    if (RESERVED_HEADERS.has(key) || seen.has(key) || !/^[\x21-\x39\x3b-\x7e]{1,126}$/.test(h.name)) continue;
    seen.add(key);
    out.push({ Name: h.name, Value: encodeHeaderText(h.value) });
  }
  return out;
}

export function sendEmailInput(message: EmailMessage, sender: string, configurationSet?: string): SendEmailCommandInput {
  const headers = sesHeaders(message);
  return {
    FromEmailAddress: formatMailbox(fromMailbox(sender, message.fromName)),
    Destination: { ToAddresses: [message.to] },
    ...(message.replyTo ? { ReplyToAddresses: [message.replyTo] } : {}),
    ...(configurationSet ? { ConfigurationSetName: configurationSet } : {}),
    EmailTags: sesTags(message.ref),
    Content: {
      Simple: {
        Subject: { Data: message.subject, Charset: 'UTF-8' },
        Body: {
          ...(message.text ? { Text: { Data: message.text, Charset: 'UTF-8' } } : {}),
          ...(message.html ? { Html: { Data: message.html, Charset: 'UTF-8' } } : {}),
        },
        ...(headers.length ? { Headers: headers } : {}),
      },
    },
  };
}

export class SesProvider implements Provider {
  readonly type = 'ses';
  readonly name: string;
  readonly channel: Channel = 'email';

  constructor(
    private readonly config: SesConfig,
    private readonly client: SESv2Client,
  ) {
    this.name = config.name;
  }

  async send(message: OutgoingMessage, sender: string): Promise<SendResult> {
    if (message.channel !== 'email') throw new ProviderError('content', `ses: cannot send a ${message.channel} message`);
    const input = sendEmailInput(message, sender, this.config.settings.configuration_set);
    try {
      const out = await this.client.send(new SendEmailCommand(input));
      if (!out.MessageId) throw new ProviderError('ambiguous', 'ses: accepted without a MessageId');
      return { providerMessageId: out.MessageId };
    } catch (err) {
      if (err instanceof ProviderError) throw err;
      throw classifySesError(err, fromMailbox(sender).address);
    }
  }

  async check(): Promise<CheckResult> {
    try {
      const a = await this.client.send(new GetAccountCommand({}));
      const q = a.SendQuota ?? {};
      const max = q.Max24HourSend ?? 0;
      const sent = q.SentLast24Hours ?? 0;
      const details = {
        region: this.config.settings.region,
        max24HourSend: max,
        maxSendRate: q.MaxSendRate ?? 0,
        sentLast24Hours: sent,
        remaining24Hours: max < 0 ? -1 : Math.max(0, max - sent),
        sendingEnabled: a.SendingEnabled ?? false,
        productionAccessEnabled: a.ProductionAccessEnabled ?? false,
        enforcementStatus: a.EnforcementStatus ?? 'UNKNOWN',
      };
      return { ok: details.sendingEnabled && details.enforcementStatus !== 'SHUTDOWN', details };
    } catch (err) {
      throw classifySesError(err);
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
