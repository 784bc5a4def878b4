/**
 * What `mkt provider check` and `mkt provider test` do, without the CLI: prove a provider's
 * config, environment and credentials, and send exactly one message through it.
 */
import type { Channel } from '../channels.js';
import { checkAddress } from '../customers/address.js';
import { InputError, UnavailableError, UsageError } from '../errors.js';
import { escapeHtml } from '../util/html.js';
import { quoted } from '../util/printable.js';
import { ProviderError, type CheckResult, type MessageRef, type OutgoingMessage, type Provider } from './contract.js';
import { getProviderConfig, listProviders } from './load.js';
import { createProvider } from './registry.js';
import type { ProviderConfig } from './types.js';

export interface OperationContext {
  workspace: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

/** A ProviderError as the CLI reports it: recipient/content problems are bad input (65), the rest unavailable (69). */
export function providerFailure(err: ProviderError, what: string): InputError | UnavailableError {
  const details = { kind: err.kind, ...(err.vendorCode ? { vendorCode: err.vendorCode } : {}), ...(err.httpStatus ? { httpStatus: err.httpStatus } : {}) };
  const message = `${what} failed (${err.kind}): ${err.message}`;
  if (err.kind === 'recipient' || err.kind === 'content') return new InputError(`provider_${err.kind}`, message, { details });
  return new UnavailableError(`provider_${err.kind}`, message, {
    details,
    hint: err.kind === 'fatal' ? 'check the credentials and the account status with the provider' : 'the provider did not answer as expected; try again later',
  });
}

async function withProvider<T>(config: ProviderConfig, ctx: OperationContext, fn: (p: Provider) => Promise<T>): Promise<T> {
  const provider = await createProvider(config, ctx);
  try {
    return await fn(provider);
  } finally {
    await provider.close?.();
  }
}

export interface CheckReport {
  name: string;
  type: string;
  channel: string;
  source: string;
  senders: string[];
  /** Environment variables the entry uses; all are set, or loading would have failed (78). */
  env: string[];
  config: 'valid';
  live: { available: false } | ({ available: true } & CheckResult);
}

/** Config valid, env present, then the provider's live read-only call where it has one. */
export async function checkProvider(ctx: OperationContext, name: string): Promise<CheckReport> {
  const config = await getProviderConfig(ctx.workspace, ctx.env, name);
  const summary = (await listProviders(ctx.workspace)).find((s) => s.name === name);
  const base = { name, type: config.type, channel: config.channel, source: config.source, senders: config.senders.map((s) => s.id), env: summary?.env ?? [], config: 'valid' as const };
  return withProvider(config, ctx, async (provider) => {
    if (!provider.check) return { ...base, live: { available: false as const } };
    try {
      return { ...base, live: { available: true as const, ...(await provider.check()) } };
    } catch (err) {
      if (err instanceof ProviderError) throw providerFailure(err, `${name}: live check`);
      throw err;
    }
  });
}

export interface TestSendOptions {
  name: string;
  to: string;
  /** A sender of the provider; default: the first one. */
  from?: string;
  /** Either a plain text (with `subject` for email) … */
  text?: string;
  subject?: string;
  /** … or a message rendered from a template by the caller. */
  build?: (config: ProviderConfig, ref: MessageRef) => Promise<OutgoingMessage>;
}

export interface TestSendResult {
  provider: string;
  type: string;
  channel: string;
  sender: string;
  to: string;
  deliveryRef: string;
  providerMessageId: string;
}

/**
 * `--to` in its canonical form, by the one address rule import and prepare use
 * (src/customers/address.ts): a test message goes only where a campaign could send.
 */
function recipient(channel: Channel, to: string): string {
  const checked = checkAddress(channel, to);
  if (checked.address) return checked.address;
  const what = channel === 'email' ? 'an email address' : 'a valid phone number (E.164: + country code and number)';
  throw new UsageError(`--to: ${quoted(to)} is not ${what}: ${checked.problem}`);
}

/** A message from `--text`: email gets a subject and an HTML part; WhatsApp goes free-form (24 h window). */
export function textMessage(channel: string, to: string, text: string, ref: MessageRef, subject?: string): OutgoingMessage {
  if (channel === 'email') {
    return { channel: 'email', to, subject: subject ?? 'mkt test message', text, html: `<p>${escapeHtml(text).replace(/\n/g, '<br>')}</p>`, headers: [], ref };
  }
  if (channel === 'sms') return { channel: 'sms', to, body: text, ref };
  return { channel: 'whatsapp', to, text, freeform: true, meta: { name: '', language: { code: 'en' }, components: [] }, twilio: { contentVariables: '{}' }, ref };
}

/** Sends exactly one message and returns the provider's message id. */
export async function sendTestMessage(ctx: OperationContext, opts: TestSendOptions): Promise<TestSendResult> {
  const config = await getProviderConfig(ctx.workspace, ctx.env, opts.name);
  const to = recipient(config.channel, opts.to);
  const sender = opts.from ?? config.senders[0]!.id;
  if (!config.senders.some((s) => s.id === sender)) {
    throw new UsageError(`--from: "${sender}" is not a sender of ${config.name}`, { hint: `senders: ${config.senders.map((s) => s.id).join(', ')}` });
  }
  const deliveryRef = `test_${ctx.now().getTime()}`;
  const ref: MessageRef = { campaign: 'provider-test', campaignId: 0, recipientId: 0, attempt: 1, deliveryRef };
  const message = opts.build ? { ...(await opts.build(config, ref)), to } : textMessage(config.channel, to, opts.text ?? '', ref, opts.subject);
  return withProvider(config, ctx, async (provider) => {
    try {
      const { providerMessageId } = await provider.send(message, sender);
      return { provider: config.name, type: config.type, channel: config.channel, sender, to, deliveryRef, providerMessageId };
    } catch (err) {
      if (err instanceof ProviderError) throw providerFailure(err, `${config.name}: test send`);
      throw err;
    }
  });
}

