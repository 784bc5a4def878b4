/**
 * `send --dry-run`: renders every pending message and plans its sender, touching nothing: the
 * ledger is not claimed and no provider is contacted. Render failures come grouped by cause.
 */
import type { Campaign } from '../db/campaigns.js';
import type { Ledger } from '../db/ledger-contract.js';
import { SenderPool } from '../dispatch/sender-pool.js';
import { RenderError } from '../templates/contract.js';
import { templateVars, type messageBuilder } from './message.js';
import { RenderFailureTally } from './render-failures.js';
import { emptySummary, type SendSummary } from './send-summary.js';

export async function dryRun(
  now: () => number,
  campaign: Campaign,
  ledger: Pick<Ledger, 'pending' | 'counts'>,
  msgCtx: Parameters<typeof messageBuilder>[0],
  senders: Array<{ id: string; weight: number; dailyCap?: number }>,
): Promise<SendSummary> {
  const started = now();
  let ok = 0;
  let segments = 0;
  const failures = new RenderFailureTally();
  for await (const row of ledger.pending()) {
    try {
      const rendered = msgCtx.template.render(templateVars(msgCtx, row).vars);
      if (rendered.channel === 'sms') segments += rendered.segments;
      ok++;
    } catch (e) {
      if (!(e instanceof RenderError)) throw e;
      failures.add(row.address, e);
    }
  }
  const summary = emptySummary(campaign.name, campaign.state, 'dry_run', await ledger.counts());
  summary.would_send = ok;
  summary.failed = failures.count;
  summary.render_failures = failures.result();
  summary.by_sender = SenderPool.plannedSplit(senders, ok);
  if (campaign.channel === 'sms') summary.sms_segments = segments;
  summary.elapsed_s = Math.round((now() - started) / 100) / 10;
  return summary;
}
