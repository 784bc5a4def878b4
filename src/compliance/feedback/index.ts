/** Feedback from providers: parse a payload of a known source into events, apply them to the store. */
import { parseMeta } from './meta.js';
import { parseSes } from './ses.js';
import { parseTwilio } from './twilio.js';
import { badPayload, type FeedbackEvent, type FeedbackSource } from './event.js';

export { applyFeedback, addSummary, emptySummary, type FeedbackSummary } from './apply.js';
export { FEEDBACK_SOURCES, isSource, type FeedbackEvent, type FeedbackSource } from './event.js';
export { parseMeta } from './meta.js';
export { parseSes } from './ses.js';
export { parseTwilioInbound, parseTwilioStatus } from './twilio.js';

export function parsePayload(source: FeedbackSource, payload: unknown): FeedbackEvent[] {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw badPayload(source, 'expected a JSON object');
  const p = payload as Record<string, unknown>;
  switch (source) {
    case 'ses':
      return parseSes(p);
    case 'twilio':
      return parseTwilio(p);
    case 'meta':
      return parseMeta(p);
  }
}
