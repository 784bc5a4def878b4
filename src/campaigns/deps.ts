import type { Store } from '../db/open.js';

/** What campaign operations need from their surroundings; the CLI builds it, tests pass their own. */
export interface CampaignDeps {
  store: Store;
  workspace: string;
  env: NodeJS.ProcessEnv;
  /** Wall clock in ms. */
  now: () => number;
}
