/**
 * The providers module: what the dispatcher and the CLI call. See README "Providers".
 */
import { ConfigError } from '../errors.js';
import type { Provider } from './contract.js';
import { PROVIDER_TYPES } from './registry.js';
import type { ProviderConfig, ProviderContext } from './types.js';

export * from './contract.js';
export type { ProviderConfig, SenderConfig, ProviderContext, ModuleContext, ProviderFactory } from './types.js';
export { DEFAULT_CONCURRENCY } from './types.js';
export { loadProviders, getProviderConfig, listProviders, PROVIDERS_FILE, type ProviderSummary } from './load.js';
export { PROVIDER_TYPES, PROVIDER_TYPE_NAMES } from './registry.js';

/** Builds a provider from its validated config; vendor SDKs are loaded here, lazily. */
export async function createProvider(config: ProviderConfig, ctx: ProviderContext): Promise<Provider> {
  const spec = PROVIDER_TYPES[config.type];
  if (!spec) throw new ConfigError('provider_type', `${config.source}: unknown provider type "${config.type}"`);
  return spec.create(config, ctx);
}
