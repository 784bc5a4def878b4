/**
 * Shared machinery of mkt's fake provider servers (ses.ts, twilio.ts, meta.ts, webhook.ts).
 *
 * A fake listens on 127.0.0.1, speaks one vendor's wire format, records every message it ACCEPTS
 * (`receipts`), counts requests and the most requests it served at once (`maxConcurrent`), and
 * misbehaves on command:
 *
 *   fake.inject({ type: 'throttle', times: 2 })              // next 2 API calls get the vendor's 429
 *   fake.inject({ type: 'throttle', probability: 0.3 })      // 30 % of calls, seeded RNG (option `seed`)
 *   fake.inject({ type: 'server-error', status: 503 })       // 5xx with the vendor's error body
 *   fake.inject({ type: 'timeout-before-accept' })           // hang, record nothing
 *   fake.inject({ type: 'timeout-after-accept' })            // record the message, never answer
 *   fake.inject({ type: 'reset-before-accept' })             // destroy the socket, record nothing
 *   fake.inject({ type: 'reset-after-accept' })              // record, then destroy the socket
 *   fake.inject({ type: 'auth' }) / { type: 'account' }      // fatal: credentials / account (suspended, paused, locked)
 *   fake.inject({ type: 'daily-quota' })                     // quota for today used up (where the vendor has one)
 *   fake.inject({ type: 'content' })                         // the message itself is rejected
 *   fake.inject({ type: 'reject-recipients', recipients: ['+15550001111'], code: 21610 })
 *   fake.inject({ type: 'vendor-error', status: 400, code: 131048, message: 'Spam rate limit hit' })
 *   fake.inject({ type: 'latency', ms: 50 })                 // every call waits first (no recording change)
 *
 * Faults apply in the order injected; `times` limits a fault to the next N calls it matches
 * (default: until cleared). `reject-recipients` and `content` apply to sends only; the others to
 * every API call (sends and the read-only check). `clearFaults()` removes faults, `clear()` also
 * forgets receipts and counters, `close()` drops hanging connections and stops the server.
 *
 * From another process (a fake started by test/fakes/serve.ts), the same controls are HTTP calls:
 * `POST /__fake/inject` (a Fault as JSON), `POST /__fake/clear-faults`, `POST /__fake/clear`,
 * `GET /__fake/receipts`, `GET /__fake/stats` → `{ requests, maxConcurrent, inFlight }`.
 */
import http from 'node:http';
import { mulberry32 } from '../../src/util/prng.js';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  | { type: 'throttle'; times?: number; probability?: number; retryAfterSeconds?: number }
  | { type: 'server-error'; status?: number; times?: number; probability?: number }
  | { type: 'timeout-before-accept'; times?: number; probability?: number }
  | { type: 'timeout-after-accept'; times?: number; probability?: number }
  | { type: 'reset-before-accept'; times?: number; probability?: number }
  | { type: 'reset-after-accept'; times?: number; probability?: number }
  | { type: 'auth'; times?: number }
  | { type: 'account'; times?: number }
  | { type: 'daily-quota'; times?: number }
  | { type: 'content'; times?: number }
  | { type: 'reject-recipients'; recipients: string[]; code?: number | string; times?: number }
  | { type: 'vendor-error'; status: number; code: number | string; message?: string; times?: number; probability?: number }
  | { type: 'latency'; ms: number };

/** The faults that end in an error response (as opposed to hangs, resets and latency). */
export type ErrorFault = Extract<Fault, { type: 'throttle' | 'server-error' | 'auth' | 'account' | 'daily-quota' | 'content' | 'reject-recipients' | 'vendor-error' }>;

export interface Reply {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

export interface IncomingCall {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

/** What a vendor's router makes of one request. */
export type Route<R> =
  | { op: 'send'; recipient: string; accept: () => R | Reply; reply: (receipt: R) => Reply }
  | { op: 'read'; reply: () => Reply }
  | Reply;

export interface Vendor<R> {
  /** An error reply when the credentials are wrong, else undefined. */
  authorize(call: IncomingCall): Reply | undefined;
  route(call: IncomingCall): Route<R>;
  /** The vendor's wire form of an injected error. */
  errorReply(fault: ErrorFault, call: IncomingCall): Reply;
}

export interface RequestLog {
  method: string;
  path: string;
  op: 'send' | 'read' | 'other';
  /** Date.now() when the request arrived (before its body was read): for pacing checks. */
  at: number;
}

export interface FakeServer<R> {
  url: string;
  port: number;
  /** Every accepted message, in order. */
  receipts: R[];
  requests: RequestLog[];
  /** Most requests in progress at the same moment. */
  readonly maxConcurrent: number;
  readonly inFlight: number;
  inject(fault: Fault): void;
  clearFaults(): void;
  clear(): void;
  close(): Promise<void>;
}

export interface FakeOptions {
  port?: number;
  /** Seed of the RNG behind `probability` faults (default 1). */
  seed?: number;
}

/** Seeded RNG behind `probability` faults: mkt's own mulberry32. */
export const seededRandom = mulberry32;

function isReply<R>(r: Route<R> | R | Reply): r is Reply {
  return typeof r === 'object' && r !== null && 'status' in r && typeof (r).status === 'number' && !('op' in r);
}

function send(res: http.ServerResponse, reply: Reply): void {
  const body = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
  res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
  res.end(body);
}

export async function startFake<R>(vendor: Vendor<R>, opts: FakeOptions = {}): Promise<FakeServer<R>> {
  let faults: Array<Fault & { left?: number }> = [];
  const random = seededRandom(opts.seed ?? 1);
  const sockets = new Set<Socket>();
  let inFlight = 0;
  let maxConcurrent = 0;

  const state = {
    receipts: [] as R[],
    requests: [] as RequestLog[],
  };

  /** The first fault that applies to this call, consumed. */
  function pick(op: 'send' | 'read', recipient: string | undefined): Fault | undefined {
    for (const f of faults) {
      if (f.type === 'latency') continue;
      if ((f.type === 'reject-recipients' || f.type === 'content') && op !== 'send') continue;
      if (f.type === 'reject-recipients' && !(recipient !== undefined && f.recipients.includes(recipient))) continue;
      if (f.left !== undefined && f.left <= 0) continue;
      if ('probability' in f && f.probability !== undefined && random() >= f.probability) continue;
      if (f.left !== undefined) f.left--;
      return f;
    }
    return undefined;
  }

  /** Control endpoints for a fake running in another process (test/fakes/serve.ts). */
  function control(call: IncomingCall, res: http.ServerResponse): void {
    const op = call.path.slice('/__fake/'.length);
    if (call.method === 'POST' && op === 'inject') {
      api.inject(JSON.parse(call.body.toString('utf8')) as Fault);
      return send(res, { status: 204 });
    }
    if (call.method === 'POST' && op === 'clear-faults') return api.clearFaults(), send(res, { status: 204 });
    if (call.method === 'POST' && op === 'clear') return api.clear(), send(res, { status: 204 });
    if (call.method === 'GET' && op === 'receipts') return send(res, { status: 200, body: state.receipts });
    if (call.method === 'GET' && op === 'stats') return send(res, { status: 200, body: { requests: state.requests.length, maxConcurrent, inFlight } });
    send(res, { status: 404, body: { error: `unknown control ${call.method} ${call.path}` } });
  }

  // named, so that the server gets a function returning void (a rejection would go unseen)
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    // control calls (another process driving the fake) are not API traffic
    const arrivedAt = Date.now();
    const counted = !(req.url ?? '').startsWith('/__fake/');
    if (counted) {
      inFlight++;
      maxConcurrent = Math.max(maxConcurrent, inFlight);
    }
    let done = !counted;
    const finish = () => {
      if (!done) {
        done = true;
        inFlight--;
      }
    };
    res.on('close', finish);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const call: IncomingCall = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, headers: req.headers, body: Buffer.concat(chunks) };
    if (call.path.startsWith('/__fake/')) return control(call, res);
    const latency = faults.reduce((ms, f) => (f.type === 'latency' ? ms + f.ms : ms), 0);
    if (latency > 0) await new Promise((r) => setTimeout(r, latency));

    const route = vendor.route(call);
    const op = isReply(route) ? 'other' : route.op;
    state.requests.push({ method: call.method, path: call.path, op, at: arrivedAt });
    if (isReply(route)) return send(res, route);
    const denied = vendor.authorize(call);
    if (denied) return send(res, denied);
    const fault = pick(route.op, route.op === 'send' ? route.recipient : undefined);
    if (fault && fault.type !== 'latency') {
      switch (fault.type) {
        case 'timeout-before-accept':
          return; // never answer; close() destroys the socket
        case 'reset-before-accept':
          req.socket.destroy();
          return;
        case 'timeout-after-accept':
        case 'reset-after-accept': {
          if (route.op === 'send') {
            const r = route.accept();
            if (!isReply(r)) state.receipts.push(r);
          }
          if (fault.type === 'reset-after-accept') req.socket.destroy();
          return;
        }
        default:
          return send(res, vendor.errorReply(fault, call));
      }
    }
    if (route.op === 'read') return send(res, route.reply());
    const accepted = route.accept();
    if (isReply(accepted)) return send(res, accepted);
    state.receipts.push(accepted);
    send(res, route.reply(accepted));
  };
  const server = http.createServer((req, res) => void handle(req, res));
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;

  const api: FakeServer<R> = {
    url: `http://127.0.0.1:${port}`,
    port,
    get receipts() {
      return state.receipts;
    },
    get requests() {
      return state.requests;
    },
    get maxConcurrent() {
      return maxConcurrent;
    },
    get inFlight() {
      return inFlight;
    },
    inject(fault) {
      faults.push({ ...fault, ...('times' in fault && fault.times !== undefined ? { left: fault.times } : {}) });
    },
    clearFaults() {
      faults = [];
    },
    clear() {
      faults = [];
      state.receipts = [];
      state.requests = [];
      maxConcurrent = inFlight;
    },
    close() {
      for (const s of sockets) s.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}

/** A free TCP port with nothing listening: connecting to it is refused. */
export async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

export function randomHex(n: number, random: () => number = Math.random): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(random() * 16).toString(16);
  return s;
}
