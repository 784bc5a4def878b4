/**
 * Pre-flight (`mkt campaign check`, also run by `campaign prepare`): everything that would
 * hurt the sender, in one report. Errors refuse (exit 65), warnings are told. The campaign
 * side runs it; the rules it applies come from src/compliance (a library that never imports
 * campaigns).
 *
 * - email: no `{{ unsubscribe_url }}` in the template, or no `unsubscribe:` in mkt.yaml
 * - every channel: every recipient's message is rendered; failures are grouped by cause
 * - sms: no opt-out text where the provider sets `require_opt_out: true`; messages over
 *   `max_segments`
 * - whatsapp: a MARKETING template to +1 numbers (Meta does not deliver those)
 * - sender identities missing
 * - estimated cost over `--budget`, with `price:` set on the provider
 */
import type { Channel } from '../channels.js';
import { loadSettings } from '../compliance/config.js';
import { keywordOf, STOP_KEYWORDS } from '../compliance/feedback/keywords.js';
import { InputError } from '../errors.js';
import { priceSchema, unitPrice } from '../providers/compliance-settings.js';
import { listProviders } from '../providers/load.js';
import { segmentFilter } from '../segments/index.js';
import { RenderError, type CompiledTemplate } from '../templates/contract.js';
import { loadTemplate } from '../templates/index.js';
import { getCampaign } from './create.js';
import type { CampaignDeps } from './deps.js';
import { templateVars, type UnsubscribeLinker } from './message.js';
import { loadVariantTemplates } from './ab-test.js';
import { splitTemplateRef } from './references.js';
import { campaignTracking, trackedButtonIssues } from './tracking.js';
import { RenderFailureTally, renderFailureLines, type RenderFailures } from './render-failures.js';

export interface PreflightIssue {
  code: string;
  message: string;
}

export interface PreflightReport {
  campaign: string;
  channel: Channel;
  ok: boolean;
  errors: PreflightIssue[];
  warnings: PreflightIssue[];
  recipients: number;
  /** Recipients whose message rendered (every recipient is rendered). */
  rendered: number;
  /** Those that did not, by cause (stored with the plan by prepare; send refuses them). */
  render_failures: RenderFailures;
  estimate: { messages: number; sms_segments?: number; cost?: number; budget?: number };
}

const OPT_OUT = new RegExp(`\\b(${STOP_KEYWORDS.join('|')}|opt[ -]?out)\\b`, 'i');

export async function checkCampaign(
  deps: CampaignDeps,
  name: string,
  opts: { budget?: number; unsubscribe?: UnsubscribeLinker } = {},
): Promise<PreflightReport> {
  const campaign = await getCampaign(deps, name);
  const channel = campaign.channel;
  const errors: PreflightIssue[] = [];
  const warnings: PreflightIssue[] = [];
  const settings = await loadSettings(deps.workspace, deps.env);
  // the summary needs no credentials: pre-flight (and so prepare) runs without provider secrets set
  const provider = (await listProviders(deps.workspace)).find((p) => p.name === campaign.provider);
  if (!provider) throw new InputError('provider_not_found', `no provider named "${campaign.provider}" in providers.yaml`);
  const template: CompiledTemplate = await loadTemplate(deps.workspace, splitTemplateRef(campaign.template).name, { channel, campaign: { name: campaign.name, id: campaign.id } });
  const variants = campaign.settings.variants ? await loadVariantTemplates(deps.workspace, campaign, template) : undefined;

  // a tracked WhatsApp button whose approved URL is not the short-link prefix would be untrackable
  const tracking = campaignTracking(settings, campaign);
  for (const t of [template, ...(variants?.values() ?? [])]) {
    for (const message of trackedButtonIssues(t, tracking)) errors.push({ code: 'untrackable_button', message });
  }
  if (provider.senders.length === 0) errors.push({ code: 'no_sender', message: `provider "${provider.name}" has no sender identity (senders: in providers.yaml)` });
  if (channel === 'email') {
    if (!template.hasUnsubscribe) {
      errors.push({ code: 'no_unsubscribe_link', message: `marketing email template "${template.name}" has no {{ unsubscribe_url }} link (Gmail and Yahoo require a visible one)` });
    }
    if (!settings.unsubscribe) {
      errors.push({ code: 'no_unsubscribe_config', message: 'mkt.yaml has no unsubscribe: section, so there is no unsubscribe URL and no List-Unsubscribe header' });
    }
  }

  const prepared = campaign.state !== 'draft';
  const filter = prepared ? undefined : await segmentFilter(deps.workspace, campaign.segment);
  const msgCtx = { campaign: { name: campaign.name, id: campaign.id, channel }, template, unsubscribe: opts.unsubscribe, now: deps.now };
  const parsedPrice = priceSchema.optional().safeParse(provider.settings.price);
  if (!parsedPrice.success) throw new InputError('bad_price', `providers.yaml: provider "${provider.name}": price: write a number, or a mapping like { default: 0.0079, "+1": 0.0083 }`);
  const price = parsedPrice.data;
  let recipients = 0;
  let rendered = 0;
  let segmentsRendered = 0;
  let overSegments = 0;
  const failures = new RenderFailureTally();
  let withoutOptOut = 0;
  let category: string | undefined;
  let plusOne = 0;
  let cost = 0;
  let priced = price !== undefined;
  const rows = deps.repos.audience.sample({ campaignId: campaign.id, channel, prepared, filter, now: deps.now() });
  // every recipient is rendered (the template is compiled once: each render is Liquid alone,
  // ~18k/s for the sample newsletter); rows stream from the store, failures fold into causes
  for await (const row of rows) {
    recipients++;
    if (channel === 'whatsapp' && row.address.startsWith('+1')) plusOne++;
    try {
      // an A/B test's row is rendered with its own variant (a held row with the campaign's template)
      const out = ((row.variant && variants?.get(row.variant)) || template).render(templateVars(msgCtx, row).vars);
      rendered++;
      if (out.channel === 'whatsapp') category = out.category;
      if (out.channel === 'sms') {
        segmentsRendered += out.segments;
        if (!OPT_OUT.test(out.text) && keywordOf(out.text) === undefined) withoutOptOut++;
      }
    } catch (e) {
      if (!(e instanceof RenderError)) throw e;
      if (e.code === 'too_many_segments') overSegments++;
      else failures.add(row.address, e);
    }
    if (priced) {
      const p = unitPrice(price, row.address);
      if (p === undefined) priced = false;
      else cost += p; // SMS: per segment, scaled by the average below
    }
  }
  const avgSegments = channel === 'sms' && rendered > 0 ? segmentsRendered / rendered : 1;
  if (channel === 'sms') cost *= avgSegments;

  if (overSegments > 0) {
    const max = (template as { maxSegments?: number }).maxSegments;
    errors.push({ code: 'too_many_segments', message: `${overSegments} of ${recipients} SMS exceed max_segments${max ? ` (${max})` : ''}` });
  }
  const renderFailures = failures.result();
  if (renderFailures.total > 0) {
    warnings.push({ code: 'render_failures', message: `${renderFailures.total} of ${recipients} messages do not render:\n  ${renderFailureLines(renderFailures).join('\n  ')}` });
  }
  if (channel === 'sms' && provider.settings.require_opt_out === true && withoutOptOut > 0) {
    errors.push({ code: 'no_opt_out', message: `provider "${provider.name}" requires opt-out text, but ${withoutOptOut} of ${rendered} SMS have none (add opt_out_footer: "Reply STOP to opt out")` });
  }
  if (channel === 'whatsapp' && plusOne > 0) {
    if (category === undefined || category === 'MARKETING') {
      warnings.push({ code: 'whatsapp_marketing_us', message: `${plusOne} recipient(s) have +1 numbers: Meta does not deliver WhatsApp MARKETING templates to US numbers` });
    }
  }
  const budget = opts.budget;
  if (budget !== undefined) {
    if (!priced) warnings.push({ code: 'no_prices', message: `--budget given, but provider "${provider.name}" has no price: for every recipient (price: in providers.yaml)` });
    else if (cost > budget) errors.push({ code: 'over_budget', message: `estimated cost ${cost.toFixed(2)} is over the budget of ${budget}` });
  }
  return {
    campaign: campaign.name,
    channel,
    ok: errors.length === 0,
    errors,
    warnings,
    recipients,
    rendered,
    render_failures: renderFailures,
    estimate: {
      messages: recipients,
      ...(channel === 'sms' ? { sms_segments: Math.round(avgSegments * recipients) } : {}),
      ...(priced ? { cost: Math.round(cost * 10_000) / 10_000 } : {}),
      ...(budget !== undefined ? { budget } : {}),
    },
  };
}
