/**
 * A small JSON-over-HTTP client on node:http(s) for APIs without an SDK (Meta Cloud API). It keeps
 * what the classification needs: whether the connection had opened when a failure happened, a
 * connect timeout separate from the whole-request timeout, and the raw status and headers.
 */
import http from 'node:http';
import https from 'node:https';
import type { AgentPair } from './agents.js';
import { wasConnected } from './agents.js';

export interface JsonResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Parsed JSON, or undefined when the body was not JSON. */
  body: unknown;
}

/** A failure without an HTTP response; `connected` tells whether the request could have left. */
export class NetworkError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly connected: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'NetworkError';
  }
}

export interface JsonRequest {
  url: string;
  method: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: unknown;
  agents: AgentPair;
  connectTimeoutMs: number;
  timeoutMs: number;
}

export function requestJson(opts: JsonRequest): Promise<JsonResponse> {
  const url = new URL(opts.url);
  const isHttps = url.protocol === 'https:';
  const payload = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: NetworkError) => {
      if (settled) return;
      settled = true;
      clearTimeout(connectTimer);
      clearTimeout(totalTimer);
      req.destroy();
      reject(err);
    };
    const req = (isHttps ? https : http).request(url, {
      method: opts.method,
      agent: isHttps ? opts.agents.https : opts.agents.http,
      headers: {
        accept: 'application/json',
        ...(payload ? { 'content-type': 'application/json', 'content-length': String(payload.length) } : {}),
        ...opts.headers,
      },
    });
    const connectTimer = setTimeout(() => {
      if (!wasConnected(req.socket)) fail(new NetworkError(`no connection within ${opts.connectTimeoutMs} ms`, 'ETIMEDOUT', false));
    }, opts.connectTimeoutMs);
    const totalTimer = setTimeout(
      () => fail(new NetworkError(`no response within ${opts.timeoutMs} ms`, 'ETIMEDOUT', wasConnected(req.socket))),
      opts.timeoutMs,
    );
    req.on('error', (err: NodeJS.ErrnoException) => fail(new NetworkError(err.message, err.code, wasConnected(req.socket), { cause: err })));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', (err: NodeJS.ErrnoException) => fail(new NetworkError(err.message, err.code ?? 'ECONNRESET', true, { cause: err })));
      res.on('aborted', () => fail(new NetworkError('response aborted', 'ECONNRESET', true)));
      res.on('end', () => {
        if (settled) return;
        settled = true;
        clearTimeout(connectTimer);
        clearTimeout(totalTimer);
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
      });
    });
    req.end(payload);
  });
}
