/**
 * HTTP agents that remember which sockets finished connecting, so that a timeout can be told
 * apart: before the connection opened (the request never left: transient) or after (ambiguous).
 */
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';

const connected = new WeakSet<object>();

export function wasConnected(socket: unknown): boolean {
  return typeof socket === 'object' && socket !== null && connected.has(socket);
}

type CreateConnection = (options: unknown, cb?: unknown) => Socket;

function track(agent: http.Agent, event: 'connect' | 'secureConnect'): void {
  const a = agent as unknown as { createConnection: CreateConnection };
  const original = a.createConnection.bind(agent);
  a.createConnection = (options, cb) => {
    const socket = original(options, cb);
    if (socket && typeof socket.once === 'function') socket.once(event, () => connected.add(socket));
    return socket;
  };
}

export interface AgentPair {
  http: http.Agent;
  https: https.Agent;
  destroy(): void;
}

/** Keep-alive agents with `maxSockets` = the provider's concurrency. */
export function trackedAgents(maxSockets: number): AgentPair {
  const h = new http.Agent({ keepAlive: true, maxSockets });
  const s = new https.Agent({ keepAlive: true, maxSockets });
  track(h, 'connect');
  track(s, 'secureConnect');
  return { http: h, https: s, destroy: () => (h.destroy(), s.destroy()) };
}
