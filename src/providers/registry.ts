/**
 * The built-in provider types, as a list. Adding a type = one folder under src/providers/ with
 * its spec.ts (settings, secrets, rules, factory), plus one line here. Factories import their
 * adapters (and through them the vendor SDKs) lazily.
 */
import { ConfigError } from '../errors.js';
import { ProviderError, type Provider } from './contract.js';
import { metaType } from './meta-whatsapp/spec.js';
import { moduleType } from './module/spec.js';
import { outboxType } from './outbox/spec.js';
import { sesType } from './ses/spec.js';
import type { ProviderTypeSpec } from './spec.js';
import { twilioType } from './twilio/spec.js';
import type { ProviderConfig, ProviderContext } from './types.js';

export const PROVIDER_TYPES: readonly ProviderTypeSpec[] = [sesType, twilioType, metaType, outboxType, moduleType];

export const PROVIDER_TYPE_NAMES = PROVIDER_TYPES.map((t) => t.type);

/** The spec of a type by its name in providers.yaml, if mkt has one. */
export function providerType(type: string): ProviderTypeSpec | undefined {
  return PROVIDER_TYPES.find((t) => t.type === type);
}

/** Builds a provider from its validated config; vendor SDKs are loaded here, lazily. */
export async function createProvider(config: ProviderConfig, ctx: ProviderContext): Promise<Provider> {
  const spec = providerType(config.type);
  if (!spec) throw new ConfigError('provider_type', `${config.source}: unknown provider type "${config.type}"`);
  // one factory contract for built-ins and user modules: the context also carries ProviderError
  return spec.create(config, { ...ctx, ProviderError });
}
