/**
 * The delivery reference: the one value mkt hands every provider with a message (SES message
 * tag, Twilio status-callback `d=`, Meta `biz_opaque_callback_data`, the outbox header) so that
 * the provider's feedback can name the exact ledger attempt it is about. Built at send time
 * (src/campaigns/message.ts) and parsed from feedback (src/compliance/feedback/), here, so the
 * two can never disagree: `c<campaign id>_r<recipient row id>_a<attempt>`.
 */
export interface DeliveryRef {
  campaignId: number;
  recipientId: number;
  attempt: number;
}

export function formatDeliveryRef(campaignId: number, recipientId: number, attempt: number): string {
  return `c${campaignId}_r${recipientId}_a${attempt}`;
}

/** The reference in `text` (surrounding whitespace allowed), or undefined when it is not one. */
export function parseDeliveryRef(text: unknown): DeliveryRef | undefined {
  if (typeof text !== 'string') return undefined;
  const m = /^c(\d+)_r(\d+)_a(\d+)$/.exec(text.trim());
  return m ? { campaignId: Number(m[1]), recipientId: Number(m[2]), attempt: Number(m[3]) } : undefined;
}
