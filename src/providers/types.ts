/**
 * What a validated providers.yaml entry looks like once loaded, and the factory contract every
 * provider type (built-in or a user module) implements.
 */
import type { Channel } from '../channels.js';
import type { Rate } from '../util/rate.js';
import type { Provider } from './contract.js';
import type { ProviderError } from './contract.js';

export interface SenderConfig {
  /** The address / number / phone-number id exactly as written in providers.yaml. */
  id: string;
  /** Share of the traffic relative to the other senders (default 1). */
  weight: number;
  rate?: Rate;
  dailyCap?: number;
}

export interface ProviderConfig<S extends Record<string, unknown> = Record<string, unknown>> {
  name: string;
  type: string;
  channel: Channel;
  rate?: Rate;
  concurrency?: number;
  senders: SenderConfig[];
  /** Type-specific settings (snake_case keys as in providers.yaml), `${ENV}` references resolved. */
  settings: S;
  /** Where the entry was written, for messages: `providers.yaml:12:5`. */
  source: string;
}

export interface ProviderContext {
  workspace: string;
  env: NodeJS.ProcessEnv;
  now: () => Date;
}

/** What a `type: module` factory receives: the context plus the ProviderError class, so a module needs no imports from mkt. */
export interface ModuleContext extends ProviderContext {
  ProviderError: typeof ProviderError;
}

/**
 * A provider factory: the one contract every provider type implements. Built-ins are the specs
 * in src/providers/<type>/spec.ts (which add settings, secrets and rules to it); a user module
 * exports one as its default export (`export default { type: 'my-gateway', create }`) or a named
 * `create` function.
 */
export interface ProviderFactory<S extends Record<string, unknown> = Record<string, unknown>> {
  type?: string;
  create(config: ProviderConfig<S>, ctx: ModuleContext): Provider | Promise<Provider>;
}

/** Default number of requests a provider runs at once when providers.yaml does not say. */
export const DEFAULT_CONCURRENCY = 8;
