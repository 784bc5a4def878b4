/**
 * `provider test --template`: one real message rendered from a template, for the demo customer
 * or a customer from the store, built exactly as the send loop builds a campaign's messages
 * (toOutgoing), so the test proves what a campaign would send.
 */
import type { Channel } from '../channels.js';
import type { CustomerStore } from '../db/repositories.js';
import type { MessageRef, OutgoingMessage } from '../providers/contract.js';
import { toOutgoing } from './message.js';

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
    const [{ loadTemplate, DEMO_CUSTOMER, PREVIEW_EXTRAS }, { renderOnce }] = await Promise.all([import('../templates/index.js'), import('../templates/preview.js')]);
    const template = await loadTemplate(o.workspace, o.template, { channel: config.channel });
    let customer = DEMO_CUSTOMER;
    if (o.customer) {
      const { requireCustomer } = await import('../customers/find.js');
      customer = await requireCustomer(await o.customers(), o.customer);
    }
    const unsubscribe = PREVIEW_EXTRAS.unsubscribe_url;
    const rendered = renderOnce(template, { ...customer, campaign: { name: 'provider-test', id: null }, unsubscribe_url: unsubscribe, now: o.now().toISOString() });
    return toOutgoing(rendered, o.to, ref, rendered.channel === 'email' ? { url: unsubscribe } : undefined);
  };
}
