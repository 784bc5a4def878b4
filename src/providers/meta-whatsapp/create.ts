import type { Provider } from '../contract.js';
import type { ProviderContext } from '../types.js';
import { MetaWhatsAppProvider } from './adapter.js';
import { MetaGraphClient } from './client.js';
import type { MetaConfig } from './config.js';

export async function createMetaProvider(config: MetaConfig, _ctx: ProviderContext): Promise<Provider> {
  return new MetaWhatsAppProvider(config, MetaGraphClient.fromConfig(config));
}
