/**
 * What the rest of mkt needs from templates: load + compile once per campaign, then render
 * per recipient. Implemented in src/templates/ (see index.ts).
 */
import type { Channel } from '../channels.js';
import type { CustomerRecord } from '../customers/record.js';
import type { MetaTemplatePayload } from '../providers/contract.js';

/** Variables available to Liquid: every customer field, attributes, campaign, unsubscribe_url, now. */
export interface TemplateVars extends Partial<CustomerRecord> {
  attributes?: Record<string, unknown>;
  campaign?: { name: string; id: number | null };
  unsubscribe_url?: string;
  now?: string;
}

export interface RenderedEmail {
  channel: 'email';
  subject: string;
  html: string;
  text: string;
  /** Size of the HTML in bytes (Gmail clips above 102 KB). */
  bytes: number;
  fromName?: string;
  replyTo?: string;
  preheader?: string;
}

export interface RenderedSms {
  channel: 'sms';
  text: string;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  characters: number;
}

export interface RenderedWhatsApp {
  channel: 'whatsapp';
  text: string;
  category: 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
  meta: MetaTemplatePayload;
  twilio: { contentSid?: string; contentVariables: string };
  /**
   * Tracked URL buttons (`track:` in the template): until the campaign's tracker replaces it
   * (src/templates/track-message.ts), each one's Meta parameter and Twilio variable hold the
   * rendered destination; `url` is the approved button URL ending in {{1}}.
   */
  trackedButtons?: Array<{ index: number; url: string; destination: string; twilioVar: string }>;
}

export type Rendered = RenderedEmail | RenderedSms | RenderedWhatsApp;

/**
 * A template parsed and compiled once. `render` is synchronous and cheap; it throws a
 * RenderError (one recipient's problem: missing variable, too many SMS segments, empty
 * WhatsApp parameter) that the send loop records as that recipient's failure.
 */
export interface CompiledTemplate {
  name: string;
  channel: Channel;
  file: string;
  /** Whether the email template references unsubscribe_url (required for marketing email). */
  hasUnsubscribe?: boolean;
  render(vars: TemplateVars): Rendered;
}

export class RenderError extends Error {
  constructor(
    message: string,
    readonly code: string = 'render_failed',
  ) {
    super(message);
    this.name = 'RenderError';
  }
}
