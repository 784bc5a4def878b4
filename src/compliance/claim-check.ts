/**
 * The claim-time rules of a campaign: quiet hours first (a recipient outside their window is
 * deferred to when it opens, and checked again then), then the frequency cap (skipped with
 * `frequency_cap`). The ledger runs them inside the claim transaction and counts the cap's
 * recent messages there (`recentWindowMs`), so they see every send committed before, on either
 * store and by any number of workers.
 */
import type { Channel } from '../channels.js';
import type { ClaimCheck } from '../db/ledger.js';
import type { WorkspaceSettings } from './config.js';
import { nextOpening } from './quiet-hours.js';
import { recipientZone } from './timezones.js';

export function claimRules(
  settings: WorkspaceSettings,
  campaign: { channel: Channel },
  now: () => number,
): ClaimCheck | undefined {
  const window = settings.quietHours[campaign.channel];
  const cap = settings.frequencyCap[campaign.channel];
  if (!window && !cap) return undefined;
  return {
    ...(cap ? { recentWindowMs: cap.perMs } : {}),
    verdict: (row, recent) => {
      if (window) {
        const opens = nextOpening(now(), recipientZone(row, settings.defaultTimezone), window);
        if (opens !== undefined) return { defer: opens };
      }
      if (cap && recent() >= cap.max) return 'frequency_cap';
      return undefined;
    },
  };
}
