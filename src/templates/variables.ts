import type { Channel } from '../channels.js';
import type { CustomerRecord } from '../customers/record.js';
import type { TemplateVars } from './contract.js';

/** The top-level names a template of this channel may reference; anything else is a typo. */
export function knownRoots(channel: Channel): Set<string> {
  const roots = new Set<string>([...customerFields(), 'campaign', 'now']);
  if (channel === 'email') roots.add('unsubscribe_url');
  return roots;
}

export const CAMPAIGN_KEYS = new Set(['name', 'id']);

/**
 * The Liquid scope for one recipient. A field that is null counts as missing, so under strict
 * variables `{{ first_name }}` for a customer without a first name fails for that recipient
 * (naming the variable) instead of sending "Hi ,"; `{{ first_name | default: "there" }}` works.
 */
export function buildScope(vars: TemplateVars, fallback: { campaign?: { name: string; id: number | null }; now?: string }): Record<string, unknown> {
  // null-prototype objects: a "__proto__" key in the data is just a key, never a prototype
  const scope: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(vars)) {
    const value = (vars as Record<string, unknown>)[key];
    if (value !== null && value !== undefined) scope[key] = value;
  }
  const attributes = scope.attributes;
  if (attributes === undefined || typeof attributes !== 'object' || Array.isArray(attributes)) scope.attributes = {};
  else {
    // the same rule one level down: a null attribute is a missing one
    const own: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const [k, v] of Object.entries(attributes as Record<string, unknown>)) if (v !== null && v !== undefined) own[k] = v;
    scope.attributes = own;
  }
  if (scope.campaign === undefined && fallback.campaign) scope.campaign = fallback.campaign;
  if (scope.now === undefined) scope.now = fallback.now ?? new Date().toISOString();
  return scope;
}

/**
 * The demo customer: every field set, so `template validate` and `template new` can prove a
 * template renders. Attributes hold the seeded ones (plan); others count as "may be missing".
 */
export const DEMO_CUSTOMER: CustomerRecord = {
  id: 1,
  external_id: 'CUST-0001',
  email: 'ana.silva@example.com',
  phone: '+447911123456',
  first_name: 'Ana',
  last_name: 'Silva',
  country: 'GB',
  timezone: 'Europe/London',
  locale: 'en-GB',
  lifetime_value: 1234.5,
  order_count: 7,
  last_order_at: '2026-03-14T10:30:00.000Z',
  created_at: '2024-01-02T09:00:00.000Z',
  updated_at: '2026-03-14T10:30:00.000Z',
  email_opt_in: true,
  sms_opt_in: true,
  whatsapp_opt_in: true,
  attributes: { plan: 'pro' },
};

/** What a preview render (validate, `template render`) uses for the variables the send loop provides. */
export const PREVIEW_EXTRAS = {
  campaign: { name: 'preview', id: null },
  unsubscribe_url: 'https://example.com/unsubscribe/preview-token',
  now: '2026-04-01T09:00:00.000Z',
} as const;

/** Every customer field a template may use, by its snake_case name (src/customers/record.ts). */
export function customerFields(): string[] {
  // DEMO_CUSTOMER is a complete CustomerRecord (the compiler checks it), so its keys are the fields
  return Object.keys(DEMO_CUSTOMER);
}

/** Variables for previews: the demo customer plus preview campaign, unsubscribe URL and time. */
export function demoVars(overrides: TemplateVars = {}): TemplateVars {
  return { ...DEMO_CUSTOMER, attributes: { ...DEMO_CUSTOMER.attributes }, ...PREVIEW_EXTRAS, campaign: { ...PREVIEW_EXTRAS.campaign }, ...overrides };
}
