/**
 * `campaign test`: proofs of a campaign sent to reviewers through its own provider, with its
 * sender rotation, template, variables and headers, rendered with one customer's data. It
 * reads the store and never writes it: no ledger row, no daily-cap count, no state change.
 * Suppressions still hold: a suppressed reviewer is refused by name.
 */
import { checkAddress } from '../customers/address.js';
import { findCustomer, requireCustomer } from '../customers/find.js';
import { toRecord, type CustomerRecord } from '../customers/record.js';
import type { Campaign } from '../db/campaigns.js';
import { SenderPool } from '../dispatch/sender-pool.js';
import { InputError, UsageError } from '../errors.js';
import { getProviderConfig } from '../providers/load.js';
import { sendTestMessage, type TestSendResult } from '../providers/operations.js';
import { segmentFilter } from '../segments/index.js';
import { quoted } from '../util/printable.js';
import { getCampaign } from './create.js';
import type { CampaignDeps } from './deps.js';
import { customerVars, type UnsubscribeLinker } from './message.js';
import { loadCampaignTemplate } from './references.js';
import { PROOF_PREFIX, testMessage } from './test-message.js';

export interface ProofOptions {
  /** `--to`; empty: mkt.yaml's `proof_list` (the entries for the campaign's channel). */
  to: string[];
  proofList: string[];
  /** `--customer`: whose data fills the message; default: the first recipient, else the segment's first customer. */
  customer?: string;
  /** `--no-prefix` sets this false. */
  prefix: boolean;
  unsubscribe?: UnsubscribeLinker;
}

export interface ProofResult {
  campaign: string;
  provider: string;
  channel: string;
  customer: { id: number; source: 'flag' | 'first_recipient' | 'segment' };
  sent: Array<Pick<TestSendResult, 'to' | 'sender' | 'providerMessageId' | 'deliveryRef'>>;
  refused: Array<{ to: string; reason: string }>;
}

/** Whose data the proof shows. */
async function proofCustomer(deps: CampaignDeps, campaign: Campaign, key: string | undefined): Promise<{ customer: CustomerRecord; source: ProofResult['customer']['source'] }> {
  if (key) return { customer: await requireCustomer(deps.repos.customers, key), source: 'flag' };
  const first = await deps.repos.flow.firstRecipient(campaign.id);
  const recipient = first === undefined ? undefined : await findCustomer(deps.repos.customers, String(first));
  if (recipient) return { customer: recipient, source: 'first_recipient' };
  // no list yet: the segment's first customer (by id, as `segment preview` lists them)
  const [match] = await deps.repos.segmentPreview.preview(await segmentFilter(deps.workspace, campaign.segment), new Date(deps.now()), 1);
  if (match) return { customer: toRecord(match), source: 'segment' };
  throw new InputError('no_customer', `segment "${campaign.segment}" matches nobody, so there is no customer to render the proof with`, { hint: 'pass --customer <id, email or phone>' });
}

/** The reviewers for this channel, canonical; a --to that is not an address is a usage error. */
function reviewers(channel: 'email' | 'sms' | 'whatsapp', o: ProofOptions): string[] {
  if (o.to.length) {
    return o.to.map((raw) => {
      const c = checkAddress(channel, raw);
      if (!c.address) throw new UsageError(`--to: ${quoted(raw)} is not ${channel === 'email' ? 'an email address' : 'a phone number (E.164: + country code and number)'}: ${c.problem}`);
      return c.address;
    });
  }
  const fitting = o.proofList.flatMap((raw) => checkAddress(channel, raw).address ?? []);
  if (!fitting.length) {
    throw new UsageError(`no reviewers: give --to, or list ${channel === 'email' ? 'email addresses' : 'phone numbers'} under proof_list: in mkt.yaml`, { code: 'no_reviewers' });
  }
  return fitting;
}

export async function sendProofs(deps: CampaignDeps, name: string, o: ProofOptions): Promise<ProofResult> {
  const campaign = await getCampaign(deps, name);
  const to = [...new Set(reviewers(campaign.channel, o))];
  const suppressed = await deps.repos.suppressions.matching(campaign.channel, to);
  const config = await getProviderConfig(deps.workspace, deps.env, campaign.provider);
  const template = await loadCampaignTemplate(deps.workspace, campaign);
  const { customer, source } = await proofCustomer(deps, campaign, o.customer);
  const ctx = { campaign: { name: campaign.name, id: campaign.id, channel: campaign.channel }, template, unsubscribe: o.unsubscribe, now: deps.now };
  const { vars, links } = customerVars(ctx, customer, 0);
  // the campaign's rotation over its senders (rates and daily caps are the real send's business)
  const pool = new SenderPool(config.senders.map((s) => ({ id: s.id, weight: s.weight })), campaign.settings.distribution ?? 'round-robin', deps.now);
  const result: ProofResult = { campaign: campaign.name, provider: config.name, channel: campaign.channel, customer: { id: customer.id, source }, sent: [], refused: [] };
  for (const address of to) {
    if (suppressed.has(address)) {
      result.refused.push({ to: address, reason: `suppressed on ${campaign.channel}` });
      continue;
    }
    const pick = pool.take(address);
    const from = 'sender' in pick ? pick.sender : config.senders[0]!.id;
    const build = async (_c: unknown, ref: Parameters<typeof testMessage>[3]) => testMessage(template, vars, address, { ...ref, campaign: campaign.name }, links, o.prefix ? PROOF_PREFIX : undefined);
    const sent = await sendTestMessage({ workspace: deps.workspace, env: deps.env, now: () => new Date(deps.now()) }, { name: config.name, to: address, from, build });
    result.sent.push({ to: sent.to, sender: sent.sender, providerMessageId: sent.providerMessageId, deliveryRef: sent.deliveryRef });
  }
  return result;
}
