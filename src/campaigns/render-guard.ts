/**
 * `send` refuses a campaign whose pre-flight found recipients whose message does not render
 * (stored with the plan by prepare), unless the operator allows that many: a send that would
 * fail 10% of its list is better stopped before the first message than noticed after it.
 */
import type { Campaign } from '../db/campaigns.js';
import { InputError } from '../errors.js';
import { renderFailureLines } from './render-failures.js';

export function guardRenderFailures(campaign: Pick<Campaign, 'name' | 'plan'>, allowed = 0): void {
  const failures = campaign.plan?.render_failures;
  if (!failures || failures.total <= allowed) return;
  throw new InputError(
    'render_failures',
    `campaign "${campaign.name}": ${failures.total} recipient(s) do not render (found when it was prepared):\n  ${renderFailureLines(failures).join('\n  ')}`,
    {
      hint: `fix the template or the data and run \`mkt campaign prepare ${campaign.name}\` again, or send anyway with --allow-render-failures ${failures.total}`,
      details: { render_failures: failures.total, allowed },
    },
  );
}
