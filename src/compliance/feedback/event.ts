/**
 * Provider feedback normalised: what one bounce, complaint, status callback or inbound
 * keyword means for the ledger and the suppression list, whatever provider reported it.
 */
import type { Channel } from '../../channels.js';
import { InputError } from '../../errors.js';
import type { DeliveryRef } from '../../providers/delivery-ref.js';

import { FEEDBACK_SOURCES, type FeedbackSource } from '../vocabulary.js';

export { FEEDBACK_SOURCES, type FeedbackSource };

/** Delivery outcomes as stored in campaign_recipients.delivery_status. */
export type DeliveryStatus = 'sent' | 'deferred' | 'delivered' | 'read' | 'failed' | 'undelivered' | 'bounced' | 'complained';

/** A later report never downgrades an earlier one (a late `sent` after `delivered`, `delivered` after `read`). */
export const DELIVERY_RANK: Record<DeliveryStatus, number> = { sent: 1, deferred: 1, delivered: 2, read: 3, failed: 4, undelivered: 4, bounced: 4, complained: 5 };

export interface FeedbackEvent {
  source: FeedbackSource;
  /** delivery | bounce | complaint | status | inbound | subscription … (feedback_events.kind) */
  kind: string;
  providerMessageId?: string;
  /** The delivery ref mkt sent (`c<campaign>_r<recipient>_a<attempt>`), when the provider echoed it. */
  ref?: DeliveryRef;
  status?: DeliveryStatus;
  /** When the provider says it happened (ms). */
  at?: number;
  address?: string;
  code?: string;
  suppress?: Array<{ channel: Channel; address: string; reason: string }>;
  lift?: Array<{ channel: Channel; address: string }>;
  /**
   * An open or a click reported by the provider's own tracking (SES), counted through the
   * engagement repository like a tracked hit of `mkt serve`. (Deliveries and reads count as
   * engagement from `status`, when they move the ledger row.)
   */
  engagement?: FeedbackEngagement;
  /** The provider's own name for the event (`Open`, `Rendering Failure`, `queued` …), for the ignored counts. */
  type?: string;
  /** The raw payload this event came from, as stored in feedback_events (never holds secrets). */
  payload: string;
}

export interface FeedbackEngagement {
  kind: 'open' | 'click' | 'delivered' | 'read';
  /** the clicked destination, as the provider reports it */
  url?: string;
  machine?: boolean;
  /** why it was classed machine (mail_proxy …) */
  reason?: string;
}

/** The engagement a delivery status stands for: a delivery or a read counts as engagement too. */
export function engagementOfStatus(status: DeliveryStatus): FeedbackEngagement | undefined {
  return status === 'delivered' || status === 'read' ? { kind: status } : undefined;
}

export function isSource(v: unknown): v is FeedbackSource {
  return typeof v === 'string' && (FEEDBACK_SOURCES as readonly string[]).includes(v);
}

/** A payload that is not what its source sends: bad input (65), with the reason. */
export function badPayload(source: string, why: string): InputError {
  return new InputError('bad_feedback', `not a ${source} feedback payload: ${why}`);
}

export function timeOf(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value < 1e11 ? value * 1000 : value;
  if (typeof value === 'string') {
    if (/^\d+$/.test(value)) return timeOf(Number(value));
    const t = Date.parse(value);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}
