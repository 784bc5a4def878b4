/** The three channels a campaign can target; a campaign targets exactly one. */
export const CHANNELS = ['email', 'sms', 'whatsapp'] as const;
export type Channel = (typeof CHANNELS)[number];

export function isChannel(value: unknown): value is Channel {
  return typeof value === 'string' && (CHANNELS as readonly string[]).includes(value);
}

/** The customer column holding the address, and the consent column, for each channel. */
export const CHANNEL_FIELDS: Record<Channel, { address: 'email' | 'phone'; consent: 'email_opt_in' | 'sms_opt_in' | 'whatsapp_opt_in' }> = {
  email: { address: 'email', consent: 'email_opt_in' },
  sms: { address: 'phone', consent: 'sms_opt_in' },
  whatsapp: { address: 'phone', consent: 'whatsapp_opt_in' },
};
