import { pauseText, type Campaign } from '../db/campaigns.js';

/** A campaign as commands show it (--json shape). */
export interface CampaignView {
  name: string;
  id: number;
  state: string;
  channel: string;
  segment: string;
  provider: string;
  template: string;
  schedule: string | null;
  throttle: string | null;
  distribution: string;
  pause_reason: string | null;
  plan: unknown;
  created_at: string;
  prepared_at: string | null;
  started_at: string | null;
  completed_at: string | null;
  /** `campaign archive`: hidden from `campaign list` unless --all */
  archived_at: string | null;
  /** The operator-workflow settings, when set (issue 16): local send time, recurrence, A/B test. */
  send_at_local?: string;
  recurring?: { every: string };
  variants?: Record<string, { subject?: string; template?: string; weight?: number }>;
  test?: { fraction: string; metric: string; wait: string };
}

function workflowSettings(s: Campaign['settings']): Pick<CampaignView, 'send_at_local' | 'recurring' | 'variants' | 'test'> {
  return {
    ...(s.send_at_local ? { send_at_local: s.send_at_local } : {}),
    ...(s.recurring ? { recurring: s.recurring } : {}),
    ...(s.variants ? { variants: s.variants } : {}),
    ...(s.test ? { test: s.test } : {}),
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function view(row: Campaign): CampaignView {
  return {
    name: row.name,
    id: row.id,
    state: row.state,
    channel: row.channel,
    segment: row.segment,
    provider: row.provider,
    template: row.template,
    schedule: iso(row.scheduleAt),
    throttle: row.throttle,
    distribution: row.settings.distribution ?? 'round-robin',
    pause_reason: pauseText(row.pause),
    plan: row.plan,
    created_at: iso(row.createdAt)!,
    prepared_at: iso(row.preparedAt),
    started_at: iso(row.startedAt),
    completed_at: iso(row.completedAt),
    archived_at: iso(row.archivedAt),
    ...workflowSettings(row.settings),
  };
}
