/**
 * Test messages, built exactly as the send loop builds a campaign's messages (toOutgoing), so a
 * test proves what a campaign would send. One builder (`testMessage`) serves both
 * `provider test --template` (a template, the demo customer or one from the store) and
 * `campaign test` (the campaign's own template, variables and unsubscribe headers).
 */
import type { Channel } from '../channels.js';
import type { CustomerRecord } from '../customers/record.js';
import type { CustomerStore } from '../db/repositories.js';
import type { MessageRef, OutgoingMessage } from '../providers/contract.js';
import type { CompiledTemplate, TemplateVars } from '../templates/contract.js';
import { toOutgoing, type UnsubscribeLinks } from './message.js';

/** What `campaign test` marks a proof's subject with, unless --no-prefix. */
export const PROOF_PREFIX = '[TEST] ';

/**
 * Renders once (a render failure is bad input, 65) and wraps it as the send loop does; an
 * email's subject gets `subjectPrefix` (SMS and WhatsApp have none: their text is sent as is).
 */
export async function testMessage(template: CompiledTemplate, vars: TemplateVars, to: string, ref: MessageRef, links?: UnsubscribeLinks, subjectPrefix?: string): Promise<OutgoingMessage> {
  const { renderOnce } = await import('../templates/preview.js');
  const message = toOutgoing(renderOnce(template, vars), to, ref, links);
  return subjectPrefix && message.channel === 'email' ? { ...message, subject: subjectPrefix + message.subject } : message;
}

export interface TemplateTestOptions {
  workspace: string;
  template: string;
  /** Customer id, external id, email or phone; default: the demo customer. */
  customer?: string;
  to: string;
  now: () => Date;
  /** The customers of the store, opened only when a customer is named. */
  customers: () => Promise<Pick<CustomerStore, 'by'>>;
}

/** The `build` of sendTestMessage (providers/operations.ts) for a template. */
export function templateTestMessage(o: TemplateTestOptions): (config: { channel: Channel }, ref: MessageRef) => Promise<OutgoingMessage> {
  return async (config, ref) => {
    const { loadTemplate, DEMO_CUSTOMER, PREVIEW_EXTRAS } = await import('../templates/index.js');
    const template = await loadTemplate(o.workspace, o.template, { channel: config.channel });
    let customer: CustomerRecord = DEMO_CUSTOMER;
    if (o.customer) {
      const { requireCustomer } = await import('../customers/find.js');
      customer = await requireCustomer(await o.customers(), o.customer);
    }
    const unsubscribe = PREVIEW_EXTRAS.unsubscribe_url;
    const vars = { ...customer, campaign: { name: 'provider-test', id: null }, unsubscribe_url: unsubscribe, now: o.now().toISOString() };
    return testMessage(template, vars, o.to, ref, config.channel === 'email' ? { url: unsubscribe } : undefined);
  };
}
