/** A campaign's life: draft → prepared → sending → paused ⇄ sending → completed; cancelled from any unfinished state. */
export const CAMPAIGN_STATES = ['draft', 'prepared', 'sending', 'paused', 'completed', 'cancelled'] as const;
export type CampaignState = (typeof CAMPAIGN_STATES)[number];
