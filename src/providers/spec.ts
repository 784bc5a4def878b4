/**
 * How a provider type describes itself to the loader: which channels it serves, its
 * type-specific settings (a zod shape), which fields hold secrets, and a lazy factory.
 * The factory must load its SDK with a dynamic import so `mkt --help` stays light.
 */
import type { z } from 'zod';
import type { Channel } from '../channels.js';
import type { Provider } from './contract.js';
import type { ProviderConfig, ProviderContext } from './types.js';

export type Issue = (path: Array<string | number>, message: string) => void;

export interface ProviderTypeSpec {
  type: string;
  channels: readonly Channel[];
  /** One line for `provider list --help` and the README. */
  summary: string;
  /** Type-specific keys of a providers.yaml entry. Unknown keys are errors (typos). */
  settings: z.ZodRawShape;
  /** Paths (relative to the entry) of fields that must be `${ENV_VAR}` references. */
  secretPaths(entry: Record<string, unknown>): Array<Array<string | number>>;
  /** Cross-field rules, run after the schema passed. */
  refine?(entry: Record<string, unknown>, issue: Issue): void;
  /**
   * A problem with one sender id, or undefined when it is valid; replaces the channel's rule of
   * sender-identity.ts (call `channelSenderProblem` to widen it rather than replace it).
   */
  checkSender?(id: string, channel: Channel): string | undefined;
  /** Senders implied by settings when `senders` is omitted (Twilio: the messaging service). */
  impliedSenders?(entry: Record<string, unknown>): string[];
  create(config: ProviderConfig, ctx: ProviderContext): Promise<Provider>;
}

/** Secret fields that are plain top-level keys. */
export function topLevel(...keys: string[]): ProviderTypeSpec['secretPaths'] {
  return (entry) => keys.filter((k) => entry[k] !== undefined).map((k) => [k]);
}
