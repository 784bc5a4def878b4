/**
 * `send --due`: every campaign whose schedule has passed, one after another. A draft is
 * prepared on the fly (its audience frozen now, as `prepare` would); a typed failure of one
 * campaign is recorded and the next one still runs, so one bad campaign does not starve the
 * others in a scheduled CI job. Anything else (a bug) stops the run.
 */
import { MktError } from '../errors.js';
import { getCampaign } from './create.js';
import { recurringRunDue } from './recurring.js';
import type { CampaignDeps } from './deps.js';
import { prepareCampaign, type Plan, type PrepareOptions } from './prepare.js';
import type { SendSummary } from './send.js';

/** One campaign's share of a `--due` run: its summary when it ran, its error when it failed. */
export interface DueRun {
  campaign: string;
  summary?: SendSummary;
  error?: MktError;
}

export interface SendDueOptions {
  exclusions?: PrepareOptions['exclusions'];
  /** Set (Ctrl-C, SIGTERM): no further campaign starts. */
  signal?: AbortSignal;
  onPrepared?: (name: string, plan: Plan) => void;
  /** Sends one campaign (sendCampaign with the caller's run options and display). */
  send: (name: string) => Promise<{ summary: SendSummary; error?: MktError }>;
}

export async function sendDue(deps: CampaignDeps, names: readonly string[], opts: SendDueOptions): Promise<DueRun[]> {
  const runs: DueRun[] = [];
  for (const name of names) {
    if (opts.signal?.aborted) break;
    try {
      const campaign = await getCampaign(deps, name);
      if (campaign.state === 'draft') {
        try {
          const plan = await prepareCampaign(deps, name, { exclusions: opts.exclusions });
          opts.onPrepared?.(name, plan);
        } catch (e) {
          // an overlapping run (PostgreSQL: another worker) prepared and started it since we read
          // the row; the store refused to replace its list, and this run joins the send instead
          if (!(e instanceof MktError && e.code === 'campaign_started')) throw e;
        }
      } else if (recurringRunDue(campaign, deps.now())) {
        // the next run of a recurring campaign: only customers who newly match, as run N+1, numbered
        // by the store under its lock, and only if no overlapping run started it since we read the row
        try {
          const plan = await prepareCampaign(deps, name, { exclusions: opts.exclusions, refresh: true, nextRun: { preparedAt: campaign.preparedAt } });
          opts.onPrepared?.(name, plan);
        } catch (e) {
          // that overlapping run (another worker) numbered and started this run: this one joins its send
          if (!(e instanceof MktError && e.code === 'run_taken')) throw e;
        }
      }
      const r = await opts.send(name);
      // a campaign whose other recipients wait by design (their 09:00 is still ahead, or an A/B
      // test's winner is not chosen yet) did what this run could: not a stop to report (exit 0,
      // `waiting: N`); a later run sends them
      const waitsByDesign = Boolean(campaign.settings.send_at_local || campaign.settings.test);
      const error = r.error?.code === 'waiting' && waitsByDesign ? undefined : r.error;
      runs.push({ campaign: name, summary: r.summary, ...(error ? { error } : {}) });
    } catch (e) {
      if (!(e instanceof MktError)) throw e;
      runs.push({ campaign: name, error: e });
    }
  }
  return runs;
}
