/**
 * How a provider type describes itself to the loader: which channels it serves, its
 * type-specific settings (a zod shape, from which the settings type is inferred), which fields
 * hold secrets, cross-field rules, and its factory. Each type's folder owns its spec
 * (src/providers/<type>/spec.ts); the registry only lists them. The factory must load its SDK
 * with a dynamic import so `mkt --help` stays light.
 */
import type { z } from 'zod';
import type { Channel } from '../channels.js';
import type { ProviderConfig, ProviderFactory } from './types.js';

export type Issue = (path: Array<string | number>, message: string) => void;

/** The settings a shape describes once validated: defaults applied, as `create` receives them. */
export type SettingsOf<Shape extends z.ZodRawShape> = z.infer<z.ZodObject<Shape>>;

/** A provider type's config with its settings typed. */
export type ConfigOf<Shape extends z.ZodRawShape> = ProviderConfig<SettingsOf<Shape>>;

export interface ProviderTypeSpec<Shape extends z.ZodRawShape = z.ZodRawShape> extends ProviderFactory<SettingsOf<Shape>> {
  type: string;
  channels: readonly Channel[];
  /** One line for `provider list --help` and the README. */
  summary: string;
  /** Type-specific keys of a providers.yaml entry. Unknown keys are errors (typos). */
  settings: Shape;
  /** Paths (relative to the entry) of fields that must be `${ENV_VAR}` references. */
  secretPaths(entry: Record<string, unknown>): Array<Array<string | number>>;
  /** Cross-field rules, run on the entry (references resolved) next to the schema. */
  refine?(entry: Record<string, unknown>, issue: Issue): void;
  /**
   * A problem with one sender id, or undefined when it is valid; replaces the channel's rule of
   * sender-identity.ts (call `channelSenderProblem` to widen it rather than replace it).
   */
  checkSender?(id: string, channel: Channel): string | undefined;
  /** Senders implied by settings when `senders` is omitted (Twilio: the messaging service). */
  impliedSenders?(entry: Record<string, unknown>): string[];
}

/** A type's spec, checked against its own shape, as the registry lists it. */
export function defineProviderType<Shape extends z.ZodRawShape>(spec: ProviderTypeSpec<Shape>): ProviderTypeSpec {
  return spec;
}

/** Secret fields that are plain top-level keys. */
export function topLevel(...keys: string[]): ProviderTypeSpec['secretPaths'] {
  return (entry) => keys.filter((k) => entry[k] !== undefined).map((k) => [k]);
}
