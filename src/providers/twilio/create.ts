import { registerSecret } from '../../util/redact.js';
import type { Provider } from '../contract.js';
import { trackedAgents } from '../net/agents.js';
import { DEFAULT_CONCURRENCY, type ProviderContext } from '../types.js';
import type { TwilioConfig } from './config.js';

/** The twilio client with mkt's RequestClient: no auto-retry, optional base_url, sized agents. */
export async function createTwilioClient(config: TwilioConfig) {
  const [{ default: twilio }, { MktRequestClient }] = await Promise.all([import('twilio'), import('./request-client.js')]);
  const s = config.settings;
  // the Basic auth header is the credentials base64-encoded: redact that form too
  const [user, secret] = s.api_key_sid ? [s.api_key_sid, s.api_key_secret] : [s.account_sid, s.auth_token];
  registerSecret(Buffer.from(`${user}:${secret}`).toString('base64'));
  const agents = trackedAgents(config.concurrency ?? DEFAULT_CONCURRENCY);
  const httpClient = new MktRequestClient(s.base_url, agents, s.timeout_ms);
  const client = s.api_key_sid
    ? twilio(s.api_key_sid, s.api_key_secret, { accountSid: s.account_sid, httpClient, autoRetry: false })
    : twilio(s.account_sid, s.auth_token, { httpClient, autoRetry: false });
  return { client, close: () => agents.destroy() };
}

export async function createTwilioProvider(config: TwilioConfig, _ctx: ProviderContext): Promise<Provider> {
  const { TwilioProvider } = await import('./adapter.js');
  const { client, close } = await createTwilioClient(config);
  return new TwilioProvider(config, client, close);
}
