/**
 * The options of one `sendCampaign` call, in three named groups. Callers pass them as one flat
 * object (`{ ...flags, ...hooks, ...environment }`); the send path hands each part only the
 * group it needs.
 */
import type { Campaign } from '../db/campaigns.js';
import type { ClaimOptions } from '../db/ledger-contract.js';
import type { Clock } from '../dispatch/clock.js';
import type { RetryPolicy } from '../dispatch/retry-policy.js';
import type { CampaignDeps } from './deps.js';
import type { UnsubscribeLinker } from './message.js';
import type { PrepareOptions } from './prepare.js';
import type { SendProgress } from './send-progress.js';

/** What the operator asked of this run (the command's flags). */
export interface SendRunFlags {
  /** `--throttle` as written (e.g. `50/s`); parsed once, where the send starts. */
  throttle?: string;
  concurrency?: number;
  limit?: number;
  dryRun?: boolean;
  retryFailed?: boolean;
  retryUnknown?: boolean;
  /** Refuse when the audience moved more than this percentage since prepare. */
  maxDrift?: number;
  /** How long in-flight sends may take to finish after an interrupt. */
  graceMs?: number;
  /** Send although pre-flight found up to this many recipients whose message does not render. */
  allowRenderFailures?: number;
  /** An A/B test's winner chosen by the operator (`--winner b`), instead of by the metric. */
  winner?: string;
}

export type ClaimCheck = NonNullable<ClaimOptions['extraCheck']>;

/** What the workspace's compliance rules plug into the send (compliance/index.ts builds them). */
export interface SendComplianceHooks {
  unsubscribe?: UnsubscribeLinker;
  /** Claim-time eligibility (frequency caps, quiet hours). */
  claimCheck?: (deps: CampaignDeps, campaign: Campaign) => Promise<ClaimCheck | undefined> | ClaimCheck | undefined;
  exclusions?: PrepareOptions['exclusions'];
  policy?: Partial<RetryPolicy>;
}

/** The run's surroundings: stop signal, where progress and notices go, time and lease timing. */
export interface SendEnvironment {
  signal?: AbortSignal;
  onProgress?: (p: SendProgress) => void;
  /** Things worth telling the operator (recovered rows, lease take-over). */
  onNotice?: (message: string) => void;
  clock?: Clock;
  leaseTtlMs?: number;
}

export type SendOptions = SendRunFlags & SendComplianceHooks & SendEnvironment;
