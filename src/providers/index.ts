/**
 * The providers module: what the dispatcher and the CLI call. See README "Providers".
 */

export * from './contract.js';
export type { ProviderConfig, SenderConfig, ProviderContext, ModuleContext, ProviderFactory } from './types.js';
export { DEFAULT_CONCURRENCY } from './types.js';
export { loadProviders, getProviderConfig, listProviders, PROVIDERS_FILE, type ProviderSummary } from './load.js';
export { createProvider, PROVIDER_TYPES, PROVIDER_TYPE_NAMES, providerType } from './registry.js';
