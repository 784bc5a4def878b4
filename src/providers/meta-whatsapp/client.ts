/**
 * The Graph API client the Meta provider is given: base URL, version, token and timeouts in one
 * place, over mkt's small JSON client (no retries anywhere).
 */
import { trackedAgents, type AgentPair } from '../net/agents.js';
import { requestJson, type JsonResponse } from '../net/http-json.js';
import type { MetaConfig } from './config.js';
import { DEFAULT_CONCURRENCY } from '../types.js';

export class MetaGraphClient {
  private readonly agents: AgentPair;

  constructor(
    private readonly opts: { baseUrl: string; apiVersion: string; accessToken: string; connectTimeoutMs: number; timeoutMs: number; maxSockets: number },
  ) {
    this.agents = trackedAgents(opts.maxSockets);
  }

  static fromConfig(config: MetaConfig): MetaGraphClient {
    const s = config.settings;
    return new MetaGraphClient({
      baseUrl: s.base_url,
      apiVersion: s.api_version,
      accessToken: s.access_token,
      connectTimeoutMs: s.connection_timeout_ms,
      timeoutMs: s.timeout_ms,
      maxSockets: config.concurrency ?? DEFAULT_CONCURRENCY,
    });
  }

  request(method: 'GET' | 'POST', path: string, body?: unknown): Promise<JsonResponse> {
    return requestJson({
      url: `${this.opts.baseUrl.replace(/\/+$/, '')}/${this.opts.apiVersion}/${path}`,
      method,
      headers: { authorization: `Bearer ${this.opts.accessToken}` },
      body,
      agents: this.agents,
      connectTimeoutMs: this.opts.connectTimeoutMs,
      timeoutMs: this.opts.timeoutMs,
    });
  }

  close(): void {
    this.agents.destroy();
  }
}
