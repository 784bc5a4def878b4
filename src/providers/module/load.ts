/**
 * `type: module`: loads a user-written provider. The module exports a factory,
 *   export default { type: 'my-gateway', create(config, ctx) { return { send, check?, close? } } }
 * or a named `export function create(config, ctx)`. `ctx` carries `ProviderError`, so the module
 * needs no import from mkt. Its results and errors are normalised here.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Channel } from '../../channels.js';
import { ConfigError } from '../../errors.js';
import { ProviderError, type CheckResult, type OutgoingMessage, type Provider, type SendResult } from '../contract.js';
import type { ProviderContext, ProviderFactory } from '../types.js';
import type { ModuleConfig } from './config.js';
import { classifyModuleError } from './errors.js';

type Loaded = Partial<Provider> & { send?: unknown };

function factoryOf(mod: Record<string, unknown>): ProviderFactory | undefined {
  const d = mod.default as { create?: unknown } | ((...a: unknown[]) => unknown) | undefined;
  if (d && typeof d === 'object' && typeof d.create === 'function') return d as ProviderFactory;
  if (typeof mod.create === 'function') return { type: typeof mod.type === 'string' ? mod.type : undefined, create: mod.create as ProviderFactory['create'] };
  if (typeof d === 'function') return { create: d as ProviderFactory['create'] };
  return undefined;
}

class ModuleProvider implements Provider {
  readonly type = 'module';
  readonly name: string;
  readonly channel: Channel;

  constructor(
    config: ModuleConfig,
    private readonly inner: Loaded,
  ) {
    this.name = config.name;
    this.channel = config.channel;
    // no live check in the module: hide ours too, so callers see `check` as absent
    if (typeof inner.check !== 'function') Object.defineProperty(this, 'check', { value: undefined });
  }

  async send(message: OutgoingMessage, sender: string): Promise<SendResult> {
    let out: unknown;
    try {
      out = await (this.inner.send as Provider['send'])(message, sender);
    } catch (err) {
      throw classifyModuleError(err, this.name);
    }
    const id = typeof out === 'string' ? out : (out as SendResult | undefined)?.providerMessageId;
    if (typeof id !== 'string' || !id) throw new ProviderError('ambiguous', `${this.name}: the module's send() returned no providerMessageId`);
    return { providerMessageId: id };
  }

  async check(): Promise<CheckResult> {
    try {
      return await this.inner.check!();
    } catch (err) {
      throw classifyModuleError(err, this.name);
    }
  }

  async close(): Promise<void> {
    await this.inner.close?.();
  }
}

export async function createModuleProvider(config: ModuleConfig, ctx: ProviderContext): Promise<Provider> {
  const file = config.settings.module;
  const shown = path.relative(ctx.workspace, file) || file;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError('provider_module', `${config.source}: provider ${config.name}: cannot load module ${shown}: ${(err as Error).message}`, {
      hint: 'the path is relative to the workspace; the module must be an ES module (.js/.mjs)',
    });
  }
  const factory = factoryOf(mod);
  if (!factory) {
    throw new ConfigError('provider_module', `${config.source}: provider ${config.name}: ${shown} exports no provider factory`, {
      hint: 'export default { type, create(config, ctx) } or export function create(config, ctx)',
    });
  }
  const inner = (await factory.create(config, { ...ctx, ProviderError })) as Loaded;
  if (!inner || typeof inner.send !== 'function') {
    throw new ConfigError('provider_module', `${config.source}: provider ${config.name}: create() of ${shown} returned no object with a send() method`);
  }
  return new ModuleProvider(config, inner);
}
