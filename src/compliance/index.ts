/**
 * Compliance rules the campaign lifecycle plugs in (src/campaigns/compliance-hooks.ts):
 * unsubscribe links (RFC 8058), claim-time checks (quiet hours, frequency caps), prepare-time
 * exclusions and the delivery policy, all read from the workspace's optional `mkt.yaml`. A
 * library: it never imports src/campaigns.
 */
import type { WorkspaceSettings } from './config.js';
import { TrackingTokens, UnsubscribeTokens } from './tokens.js';

/** The token signer/verifier of a workspace, or undefined when mkt.yaml has no `unsubscribe:`. */
export function tokensFor(settings: WorkspaceSettings): UnsubscribeTokens | undefined {
  const u = settings.unsubscribe;
  return u ? new UnsubscribeTokens({ keyId: u.keyId, secret: u.secret }, u.previous) : undefined;
}

/** The signer of tracked links: the same keys as unsubscribe links (a different purpose in the MAC). */
export function trackingTokensFor(settings: WorkspaceSettings): TrackingTokens | undefined {
  const u = settings.unsubscribe;
  return u ? new TrackingTokens({ keyId: u.keyId, secret: u.secret }, u.previous) : undefined;
}

export { claimRules } from './claim-check.js';
export { loadSettings, type WorkspaceSettings } from './config.js';
export { frequencyCapRule } from '../db/compliance-sql.js';
