/**
 * Fake of the generic HTTP gateway that examples/providers/webhook-gateway.js talks to
 * (faults and common API: see ./http.ts). POST /messages `{channel, from, to, text, reference}`
 * with `Authorization: Bearer <token>` → 201 `{id}`; GET /account → `{active, balance}`.
 * Errors are `{ error: "<code>" }`: 429 rate_limited (+ Retry-After), 401 unauthorized,
 * 403 account_suspended, 422 invalid_recipient / opted_out / invalid_content, 5xx server_error.
 */
import { randomHex, seededRandom, startFake, type ErrorFault, type FakeOptions, type FakeServer, type Reply, type Vendor } from './http.js';

export interface WebhookReceipt {
  id: string;
  channel: string;
  from: string;
  to: string;
  text: string;
  reference?: string;
}

const err = (status: number, error: string, headers?: Record<string, string>): Reply => ({ status, headers, body: { error } });

export async function startFakeWebhook(opts: FakeOptions & { token?: string } = {}): Promise<FakeServer<WebhookReceipt>> {
  const token = opts.token ?? 'fake-webhook-token';
  const random = seededRandom((opts.seed ?? 1) + 404);
  const vendor: Vendor<WebhookReceipt> = {
    authorize: (call) => (call.headers.authorization === `Bearer ${token}` ? undefined : err(401, 'unauthorized')),
    route(call) {
      if (call.method === 'GET' && call.path === '/account') return { op: 'read', reply: () => ({ status: 200, body: { active: true, balance: 42 } }) };
      if (call.method === 'POST' && call.path === '/messages') {
        const body = JSON.parse(call.body.toString('utf8') || '{}');
        return {
          op: 'send',
          recipient: String(body.to ?? ''),
          accept: () => (body.to && body.text ? { id: 'gw-' + randomHex(16, random), channel: body.channel, from: body.from, to: body.to, text: body.text, reference: body.reference } : err(422, 'invalid_content')),
          reply: (r) => ({ status: 201, body: { id: r.id } }),
        };
      }
      return err(404, 'not_found');
    },
    errorReply(fault: ErrorFault): Reply {
      switch (fault.type) {
        case 'throttle':
          return err(429, 'rate_limited', fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : undefined);
        case 'server-error':
          return err(fault.status ?? 500, 'server_error');
        case 'auth':
          return err(401, 'unauthorized');
        case 'account':
        case 'daily-quota':
          return err(403, 'account_suspended');
        case 'content':
          return err(422, 'invalid_content');
        case 'reject-recipients':
          return err(422, String(fault.code ?? 'opted_out'));
        case 'vendor-error':
          return err(fault.status, String(fault.code));
      }
    },
  };
  return startFake(vendor, opts);
}
