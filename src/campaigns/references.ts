/**
 * Checks that a campaign's segment, provider and template exist and agree on the channel.
 * Mismatches are bad input (65): a WhatsApp template on an SES provider can never work.
 */
import type { Channel } from '../channels.js';
import { InputError } from '../errors.js';
import { listProviders } from '../providers/load.js';
import { listSegments } from '../segments/index.js';
import { listTemplates, loadTemplate } from '../templates/index.js';
import type { CompiledTemplate } from '../templates/contract.js';
import type { Campaign } from '../db/campaigns.js';
import { didYouMean } from '../util/suggest.js';
import type { CampaignSpec } from './spec.js';

export interface ResolvedReferences {
  provider: Awaited<ReturnType<typeof listProviders>>[number];
  template: { name: string; channel: Channel; file: string };
}

/** Splits `email/spring-sale` into channel and name; a bare name has no channel. */
export function splitTemplateRef(ref: string): { channel?: string; name: string } {
  const m = /^(email|sms|whatsapp)\/(.+)$/.exec(ref);
  return m ? { channel: m[1], name: m[2]! } : { name: ref };
}

/** One reference that does not resolve, with the spec key it is written at (`campaign validate` points at it). */
export interface ReferenceProblem {
  field: 'segment' | 'provider' | 'template';
  message: string;
}

/** Every reference of the spec that does not exist or disagrees with the channel; empty when all resolve. */
export async function referenceProblems(workspace: string, spec: CampaignSpec): Promise<{ problems: ReferenceProblem[]; resolved?: ResolvedReferences }> {
  const problems: ReferenceProblem[] = [];
  const segments = await listSegments(workspace);
  if (!segments.some((s) => s.name === spec.segment)) {
    problems.push({ field: 'segment', message: `unknown segment "${spec.segment}"${didYouMean(spec.segment, segments.map((s) => s.name))}` });
  }
  const providers = await listProviders(workspace);
  const provider = providers.find((p) => p.name === spec.provider);
  if (!provider) problems.push({ field: 'provider', message: `unknown provider "${spec.provider}"${didYouMean(spec.provider, providers.map((p) => p.name))}` });
  else if (provider.channel !== spec.channel)
    problems.push({ field: 'provider', message: `provider "${provider.name}" sends ${provider.channel}, but the campaign's channel is ${spec.channel}` });
  const templates = await listTemplates(workspace);
  const ref = splitTemplateRef(spec.template);
  const named = templates.filter((t) => t.name === ref.name);
  const template = named.find((t) => t.channel === spec.channel && (!ref.channel || ref.channel === t.channel));
  if (!template) {
    if (named.length) problems.push({ field: 'template', message: `template "${spec.template}" is a ${named.map((t) => t.channel).join('/')} template, but the campaign's channel is ${spec.channel}` });
    else problems.push({ field: 'template', message: `unknown template "${spec.template}"${didYouMean(ref.name, templates.filter((t) => t.channel === spec.channel).map((t) => t.name))}` });
  }
  return problems.length ? { problems } : { problems, resolved: { provider: provider!, template: template! } };
}

export async function checkReferences(workspace: string, spec: CampaignSpec): Promise<ResolvedReferences> {
  const { problems, resolved } = await referenceProblems(workspace, spec);
  if (!resolved) throw new InputError('campaign_mismatch', problems.map((p) => p.message).join('; '), { details: { problems: problems.map((p) => p.message) } });
  return resolved;
}

/** Compiles a campaign's template once, for its channel, with the campaign's name and id. */
export function loadCampaignTemplate(workspace: string, campaign: Pick<Campaign, 'template' | 'channel' | 'name' | 'id'>): Promise<CompiledTemplate> {
  return loadTemplate(workspace, splitTemplateRef(campaign.template).name, { channel: campaign.channel, campaign: { name: campaign.name, id: campaign.id } });
}
