/**
 * Where campaigns plug the compliance rules in: the send hooks a workspace's `mkt.yaml` asks
 * for (unsubscribe links, claim-time quiet hours and frequency caps, prepare-time exclusions,
 * the delivery policy). Compliance provides the rules; this side knows what a send needs.
 */
import { claimRules, frequencyCapRule, loadSettings, tokensFor } from '../compliance/index.js';
import type { SendComplianceHooks } from './send-options.js';

export type SendHooks = SendComplianceHooks;

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
    hooks.claimCheck = (deps, campaign) => claimRules(settings, { channel: campaign.channel }, deps.now);
  }
  if (Object.keys(settings.frequencyCap).length) {
    hooks.exclusions = (deps, campaign) => {
      const cap = settings.frequencyCap[campaign.channel];
      return cap ? [frequencyCapRule(campaign.id, campaign.channel, deps.now() - cap.perMs, cap.max)] : [];
    };
  }
  return hooks;
}

