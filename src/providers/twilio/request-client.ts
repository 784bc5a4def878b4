/**
 * twilio-node has no base-URL option, so mkt passes its own RequestClient (docs/provider-facts.md §3):
 * it rewrites https://*.twilio.com to `base_url` (a local fake), keeps autoRetry off, uses agents
 * sized to the provider's concurrency that remember whether a socket connected, and carries the
 * Retry-After header of a 429 into the exception (RestException drops headers).
 */
import RequestClient from 'twilio/lib/base/RequestClient.js';
import { parseRetryAfter } from '../net/classify.js';
import type { AgentPair } from '../net/agents.js';

export class MktRequestClient extends RequestClient {
  constructor(
    private readonly baseUrl: string | undefined,
    agents: AgentPair,
    timeoutMs: number,
  ) {
    super({ timeout: timeoutMs, autoRetry: false, keepAlive: true });
    this.axios.defaults.httpAgent = agents.http;
    // an HTTP_PROXY agent set by the base class must win over ours
    if (!process.env.HTTP_PROXY) this.axios.defaults.httpsAgent = agents.https;
  }

  override async request<T>(opts: RequestClient.RequestOptions<T>) {
    const uri = this.baseUrl ? opts.uri.replace(/^https:\/\/[^/]+\.twilio\.com/, this.baseUrl.replace(/\/+$/, '')) : opts.uri;
    const res = await super.request({ ...opts, uri });
    if (res.statusCode === 429 && res.body && typeof res.body === 'object') {
      const ms = parseRetryAfter((res.headers as Record<string, string | undefined> | undefined)?.['retry-after']);
      if (ms !== undefined) {
        const body = res.body as { details?: Record<string, unknown> };
        body.details = { ...(body.details ?? {}), mkt_retry_after_ms: ms };
      }
    }
    return res;
  }
}
