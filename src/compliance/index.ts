/**
 * Compliance rules the campaign lifecycle applies: unsubscribe links (RFC 8058), claim-time
 * checks (quiet hours, frequency caps), prepare-time exclusions and the delivery policy, all
 * read from the workspace's optional `mkt.yaml`.
 */
import type { SendOptions } from '../campaigns/send.js';
import type { Channel } from '../channels.js';
import { frequencyCapRule } from '../db/compliance-sql.js';
import { claimRules } from './claim-check.js';
import { loadSettings, type WorkspaceSettings } from './config.js';
import { UnsubscribeTokens } from './tokens.js';

export type SendHooks = Pick<SendOptions, 'unsubscribe' | 'claimCheck' | 'exclusions' | 'policy'>;

/** The token signer/verifier of a workspace, or undefined when mkt.yaml has no `unsubscribe:`. */
export function tokensFor(settings: WorkspaceSettings): UnsubscribeTokens | undefined {
  const u = settings.unsubscribe;
  return u ? new UnsubscribeTokens({ keyId: u.keyId, secret: u.secret }, u.previous) : undefined;
}

/** The hooks for this workspace. Without mkt.yaml: none (no unsubscribe links, no caps). */
export async function loadSendHooks(workspace: string, env: NodeJS.ProcessEnv): Promise<SendHooks> {
  const settings = await loadSettings(workspace, env);
  const hooks: SendHooks = {};
  const tokens = tokensFor(settings);
  if (tokens && settings.unsubscribe) {
    const { baseUrl, mailto } = settings.unsubscribe;
    hooks.unsubscribe = (s) => ({ url: `${baseUrl}/${tokens.sign(s)}`, ...(mailto ? { mailto } : {}) });
  }
  if (settings.delivery.ambiguous) hooks.policy = { ambiguous: settings.delivery.ambiguous };
  if (Object.keys(settings.quietHours).length || Object.keys(settings.frequencyCap).length) {
    hooks.claimCheck = (deps, campaign) => claimRules(settings, deps.store, { id: campaign.id, channel: campaign.channel as Channel }, deps.now);
  }
  if (Object.keys(settings.frequencyCap).length) {
    hooks.exclusions = (deps, campaign) => {
      const cap = settings.frequencyCap[campaign.channel as Channel];
      return cap ? [frequencyCapRule(campaign.id, campaign.channel as Channel, deps.now() - cap.perMs, cap.max)] : [];
    };
  }
  return hooks;
}

export { loadSettings, type WorkspaceSettings } from './config.js';
