import type { Provider } from '../contract.js';
import { DEFAULT_CONCURRENCY, type ProviderContext } from '../types.js';
import type { SesConfig } from './config.js';

/**
 * The SESv2 client as mkt needs it: no SDK retries (a hidden retry after a timeout is a duplicate
 * email), connect and request timeouts that throw, and as many sockets as the provider's concurrency.
 */
export async function createSesClient(config: SesConfig) {
  // Keep the SDK's Node 20 deprecation warning out of mkt's output (docs/provider-facts.md §1).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const { SESv2Client } = await import('@aws-sdk/client-sesv2');
  const s = config.settings;
  const maxSockets = config.concurrency ?? DEFAULT_CONCURRENCY;
  return new SESv2Client({
    region: s.region,
    ...(s.endpoint ? { endpoint: s.endpoint } : {}),
    ...(s.access_key_id && s.secret_access_key
      ? { credentials: { accessKeyId: s.access_key_id, secretAccessKey: s.secret_access_key, ...(s.session_token ? { sessionToken: s.session_token } : {}) } }
      : {}),
    maxAttempts: 1,
    requestHandler: {
      connectionTimeout: s.connection_timeout_ms,
      requestTimeout: s.request_timeout_ms,
      throwOnRequestTimeout: true,
      httpAgent: { keepAlive: true, maxSockets },
      httpsAgent: { keepAlive: true, maxSockets },
    },
  });
}

export async function createSesProvider(config: SesConfig, _ctx: ProviderContext): Promise<Provider> {
  const { SesProvider } = await import('./adapter.js');
  return new SesProvider(config, await createSesClient(config));
}
