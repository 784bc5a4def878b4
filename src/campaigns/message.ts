/**
 * Turns one claimed ledger row into the message a provider sends: personalise the compiled
 * template for that customer, then wrap it in the channel's message shape with the ref that
 * providers echo back (tags, callback data) for reconciliation.
 */
import type { Channel } from '../channels.js';
import { toRecord, type CustomerRecord } from '../customers/record.js';
import type { ClaimedRow } from '../db/ledger.js';
import type { MessageRef, OutgoingMessage } from '../providers/contract.js';
import { formatDeliveryRef } from '../providers/delivery-ref.js';
import type { CompiledTemplate, Rendered, TemplateVars } from '../templates/contract.js';
import type { MessageTracker } from './tracking.js';

export interface UnsubscribeLinks {
  /** https URL for the body link and List-Unsubscribe (RFC 8058 one-click POST target). */
  url: string;
  /** Optional second List-Unsubscribe target. */
  mailto?: string;
}

export type UnsubscribeLinker = (r: { campaignId: number; customerId: number; channel: Channel }) => UnsubscribeLinks | undefined;

export interface MessageContext {
  campaign: { name: string; id: number; channel: Channel };
  template: CompiledTemplate;
  /** An A/B test's templates by variant; a row without a variant gets `template`. */
  variants?: Map<string, CompiledTemplate>;
  unsubscribe?: UnsubscribeLinker;
  /** click / open tracking (tracking.ts), applied after rendering so links from variables are tracked too */
  track?: MessageTracker;
  now: () => number;
}

export function templateVars(ctx: MessageContext, row: Pick<ClaimedRow, 'customer'>): { vars: TemplateVars; links?: UnsubscribeLinks } {
  return customerVars(ctx, toRecord(row.customer));
}

/**
 * The variables a campaign's message gets for one customer. `linkFor`: the customer id the
 * unsubscribe link is signed for (a proof signs it for nobody, 0, so a reviewer who clicks it
 * unsubscribes no one).
 */
export function customerVars(ctx: MessageContext, customer: CustomerRecord, linkFor = customer.id): { vars: TemplateVars; links?: UnsubscribeLinks } {
  const links = ctx.unsubscribe?.({ campaignId: ctx.campaign.id, customerId: linkFor, channel: ctx.campaign.channel });
  const vars: TemplateVars = {
    ...customer,
    campaign: { name: ctx.campaign.name, id: ctx.campaign.id },
    now: new Date(ctx.now()).toISOString(),
    ...(links ? { unsubscribe_url: links.url } : {}),
  };
  return { vars, links };
}

export function toOutgoing(rendered: Rendered, to: string, ref: MessageRef, links?: UnsubscribeLinks): OutgoingMessage {
  switch (rendered.channel) {
    case 'email': {
      const headers: Array<{ name: string; value: string }> = [];
      if (links) {
        // RFC 8058: the https URI is mandatory for one-click; mailto is an optional second target.
        const targets = [`<${links.url}>`, ...(links.mailto ? [`<mailto:${links.mailto}?subject=unsubscribe>`] : [])];
        headers.push({ name: 'List-Unsubscribe', value: targets.join(', ') });
        headers.push({ name: 'List-Unsubscribe-Post', value: 'List-Unsubscribe=One-Click' });
      }
      return {
        channel: 'email',
        to,
        subject: rendered.subject,
        html: rendered.html,
        text: rendered.text,
        fromName: rendered.fromName,
        replyTo: rendered.replyTo,
        headers,
        ref,
      };
    }
    case 'sms':
      return { channel: 'sms', to, body: rendered.text, ref };
    case 'whatsapp':
      return { channel: 'whatsapp', to, text: rendered.text, meta: rendered.meta, twilio: rendered.twilio, ref };
  }
}

/**
 * The dispatcher's buildMessage: render for this customer (throws RenderError for them alone).
 * A promise only when tracking must first record a new link.
 */
export function messageBuilder(ctx: MessageContext): (row: ClaimedRow) => OutgoingMessage | Promise<OutgoingMessage> {
  return (row) => {
    const { vars, links } = templateVars(ctx, row);
    const template = (row.variant && ctx.variants?.get(row.variant)) || ctx.template;
    const plain = template.render(vars);
    const rendered = ctx.track ? ctx.track(plain, { ledgerId: row.id, unsubscribeUrl: links?.url }) : plain;
    return rendered instanceof Promise ? rendered.then((x) => outgoing(ctx, row, x, links)) : outgoing(ctx, row, rendered, links);
  };
}

function outgoing(ctx: MessageContext, row: ClaimedRow, rendered: Rendered, links: UnsubscribeLinks | undefined): OutgoingMessage {
  const ref: MessageRef = {
    campaign: ctx.campaign.name,
    campaignId: ctx.campaign.id,
    recipientId: row.id,
    attempt: row.attempts,
    deliveryRef: formatDeliveryRef(ctx.campaign.id, row.id, row.attempts),
  };
  return toOutgoing(rendered, row.address, ref, links);
}
