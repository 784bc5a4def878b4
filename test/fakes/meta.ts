/**
 * Fake Meta WhatsApp Cloud API on 127.0.0.1 (faults and common API: see ./http.ts).
 *
 *   const meta = await startFakeMeta({ accessToken: 'EAAG…', phoneNumbers: ['106540352242922'] });
 *   // mkt: providers.yaml `base_url: ${meta.url}`
 *   meta.receipts[0]  // { id: 'wamid.…', phoneNumberId, to, type, template, text, bizOpaqueCallbackData }
 *   meta.byDelivery('c1_r2_a1')
 *
 * Wire format: POST /{version}/{phone-number-id}/messages (JSON, `Authorization: Bearer`), GET
 * /{version}/{phone-number-id}. Errors are `{ error: { message, type, code, error_data,
 * error_subcode, fbtrace_id } }`; like the facts doc advises, throttles answer 400 + code 130429.
 */
import { randomHex, seededRandom, startFake, type ErrorFault, type FakeOptions, type FakeServer, type IncomingCall, type Reply, type Vendor } from './http.js';

export interface MetaReceipt {
  id: string;
  phoneNumberId: string;
  to: string;
  type: string;
  template?: { name: string; language: { code: string }; components?: unknown[] };
  text?: string;
  bizOpaqueCallbackData?: string;
  apiVersion: string;
}

export interface FakeMetaOptions extends FakeOptions {
  accessToken?: string;
  /** Known phone-number ids; others get error 100 (default: any id is known). */
  phoneNumbers?: string[];
}

export interface FakeMeta extends FakeServer<MetaReceipt> {
  byDelivery(ref: string): MetaReceipt[];
}

export function metaError(status: number, code: number, message: string, details?: string, type = 'OAuthException'): Reply {
  return {
    status,
    body: { error: { message, type, code, ...(details ? { error_data: { messaging_product: 'whatsapp', details } } : {}), fbtrace_id: 'AbCdEfGhIjK' } },
  };
}

export async function startFakeMeta(opts: FakeMetaOptions = {}): Promise<FakeMeta> {
  const token = opts.accessToken ?? 'fake-meta-token';
  const random = seededRandom((opts.seed ?? 1) + 303);
  const known = (id: string) => !opts.phoneNumbers || opts.phoneNumbers.includes(id);
  const vendor: Vendor<MetaReceipt> = {
    authorize(call) {
      return call.headers.authorization === `Bearer ${token}` ? undefined : metaError(401, 190, 'Invalid OAuth access token - Cannot parse access token');
    },
    route(call: IncomingCall) {
      const send = /^\/(v\d+\.\d+)\/(\d+)\/messages$/.exec(call.path);
      const read = /^\/(v\d+\.\d+)\/(\d+)$/.exec(call.path);
      if (call.method === 'GET' && read) {
        const id = read[2]!;
        return {
          op: 'read',
          reply: () =>
            known(id)
              ? { status: 200, body: { id, display_phone_number: '+1 555-010-0200', verified_name: 'Acme', quality_rating: 'GREEN', messaging_limit_tier: 'TIER_1K' } }
              : metaError(400, 100, `Unsupported get request. Object with ID '${id}' does not exist`, undefined, 'GraphMethodException'),
        };
      }
      if (call.method === 'POST' && send) {
        const [, version, phoneNumberId] = send as unknown as [string, string, string];
        let body: Record<string, any> = {};
        try {
          body = JSON.parse(call.body.toString('utf8'));
        } catch {
          return metaError(400, 100, 'Invalid JSON');
        }
        const to = String(body.to ?? '');
        return {
          op: 'send',
          recipient: to,
          accept: () => {
            if (!known(phoneNumberId)) return metaError(400, 100, `Unsupported post request. Object with ID '${phoneNumberId}' does not exist`, undefined, 'GraphMethodException');
            if (body.messaging_product !== 'whatsapp') return metaError(400, 100, 'The parameter messaging_product is required.');
            if (!/^\d{6,15}$/.test(to)) return metaError(400, 100, 'Invalid parameter', `to: ${to} is not a phone number`);
            if (body.type === 'template' && !(body.template?.name && body.template?.language?.code)) return metaError(400, 132000, 'Number of parameters does not match the expected number of params');
            if (body.type === 'text' && !body.text?.body) return metaError(400, 100, 'Invalid parameter', 'text.body is required');
            return {
              id: 'wamid.' + Buffer.from(randomHex(32, random)).toString('base64'),
              phoneNumberId,
              to,
              type: String(body.type),
              template: body.template,
              text: body.text?.body,
              bizOpaqueCallbackData: body.biz_opaque_callback_data,
              apiVersion: version,
            };
          },
          reply: (r) => ({ status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: to, wa_id: to }], messages: [{ id: r.id, message_status: 'accepted' }] } }),
        };
      }
      return metaError(400, 100, `Unknown path components: ${call.path}`, undefined, 'GraphMethodException');
    },
    errorReply(fault: ErrorFault) {
      switch (fault.type) {
        case 'throttle':
          return metaError(400, 130429, '(#130429) Rate limit hit', 'Cloud API message throughput has been reached.');
        case 'server-error':
          return metaError(fault.status ?? 500, 2, 'Service temporarily unavailable');
        case 'auth':
          return metaError(401, 190, 'Error validating access token: Session has expired');
        case 'account':
          return metaError(400, 131031, 'Business Account locked');
        case 'daily-quota':
          return metaError(400, 131048, 'Spam rate limit hit');
        case 'content':
          return metaError(400, 132000, 'Number of parameters does not match the expected number of params');
        case 'reject-recipients':
          return metaError(400, Number(fault.code ?? 131026), 'Message undeliverable');
        case 'vendor-error':
          return metaError(fault.status, Number(fault.code), fault.message ?? `error ${fault.code}`);
      }
    },
  };
  const fake = await startFake(vendor, opts);
  return Object.assign(fake, { byDelivery: (ref: string) => fake.receipts.filter((r) => r.bizOpaqueCallbackData === ref) });
}
