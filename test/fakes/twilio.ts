/**
 * Fake Twilio Messaging API on 127.0.0.1 (faults and common API: see ./http.ts).
 *
 *   const tw = await startFakeTwilio({ accountSid: 'AC' + 'a'.repeat(32), authToken: 'token' });
 *   // mkt: providers.yaml `base_url: ${tw.url}`; raw: the RequestClient seam of docs/provider-facts.md §3
 *   tw.receipts[0]  // { sid, to, from, messagingServiceSid, body, contentSid, contentVariables, statusCallback, deliveryRef }
 *   tw.byDelivery('c1_r2_a1')
 *
 * Wire format: POST /2010-04-01/Accounts/{Sid}/Messages.json (form-encoded, HTTP Basic with the
 * account SID + auth token, or an API key SID + secret), GET …/Messages.json (list, filters To,
 * From, DateSent>), GET /2010-04-01/Accounts/{Sid}.json. Errors are `{code, message, more_info,
 * status}`; a throttle may carry `Retry-After`.
 */
import { randomHex, seededRandom, startFake, type ErrorFault, type FakeOptions, type FakeServer, type IncomingCall, type Reply, type Vendor } from './http.js';

export interface TwilioReceipt {
  sid: string;
  accountSid: string;
  to: string;
  from?: string;
  messagingServiceSid?: string;
  body?: string;
  contentSid?: string;
  contentVariables?: string;
  statusCallback?: string;
  /** `d` of the status callback URL: the delivery ref mkt put there. */
  deliveryRef?: string;
  dateCreated: string;
}

export interface FakeTwilioOptions extends FakeOptions {
  accountSid?: string;
  authToken?: string;
  /** API key SID → secret, accepted instead of the auth token. */
  apiKeys?: Record<string, string>;
  accountStatus?: 'active' | 'suspended' | 'closed';
}

export interface FakeTwilio extends FakeServer<TwilioReceipt> {
  accountSid: string;
  byDelivery(ref: string): TwilioReceipt[];
}

export const FAKE_TWILIO_SID = 'AC' + '0123456789abcdef'.repeat(2);

const twilioError = (status: number, code: number, message: string, headers?: Record<string, string>): Reply => ({
  status,
  headers,
  body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status },
});

const E164 = /^(whatsapp:)?\+[1-9]\d{1,14}$/;

function messageJson(r: TwilioReceipt): Record<string, unknown> {
  return {
    account_sid: r.accountSid,
    api_version: '2010-04-01',
    body: r.body ?? '',
    date_created: r.dateCreated,
    date_sent: null,
    date_updated: r.dateCreated,
    direction: 'outbound-api',
    error_code: null,
    error_message: null,
    from: r.from ?? null,
    messaging_service_sid: r.messagingServiceSid ?? null,
    num_media: '0',
    num_segments: '1',
    price: null,
    price_unit: 'USD',
    sid: r.sid,
    status: r.messagingServiceSid ? 'accepted' : 'queued',
    subresource_uris: { media: `/2010-04-01/Accounts/${r.accountSid}/Messages/${r.sid}/Media.json` },
    to: r.to,
    uri: `/2010-04-01/Accounts/${r.accountSid}/Messages/${r.sid}.json`,
  };
}

export async function startFakeTwilio(opts: FakeTwilioOptions = {}): Promise<FakeTwilio> {
  const accountSid = opts.accountSid ?? FAKE_TWILIO_SID;
  const authToken = opts.authToken ?? 'fake-auth-token';
  const random = seededRandom((opts.seed ?? 1) + 202);
  let receipts: () => TwilioReceipt[] = () => [];
  const base = `/2010-04-01/Accounts/${accountSid}`;
  const vendor: Vendor<TwilioReceipt> = {
    authorize(call) {
      const m = /^Basic (.+)$/.exec(String(call.headers.authorization ?? ''));
      const [user, pass] = m ? Buffer.from(m[1]!, 'base64').toString('utf8').split(':') : [];
      const ok = (user === accountSid && pass === authToken) || (user !== undefined && opts.apiKeys?.[user] !== undefined && opts.apiKeys[user] === pass);
      return ok ? undefined : twilioError(401, 20003, 'Authenticate');
    },
    route(call: IncomingCall) {
      if (!call.path.startsWith('/2010-04-01/Accounts/')) return twilioError(404, 20404, 'The requested resource was not found');
      if (!call.path.startsWith(base)) return twilioError(401, 20003, 'Authenticate');
      if (call.method === 'GET' && call.path === `${base}.json`) {
        return {
          op: 'read',
          reply: () => ({
            status: 200,
            body: {
              sid: accountSid,
              friendly_name: 'Fake account',
              status: opts.accountStatus ?? 'active',
              type: 'Full',
              date_created: 'Mon, 01 Jan 2024 00:00:00 +0000',
              date_updated: 'Mon, 01 Jan 2024 00:00:00 +0000',
              auth_token: '[redacted]',
              owner_account_sid: accountSid,
              uri: `${base}.json`,
              subresource_uris: {},
            },
          }),
        };
      }
      if (call.method === 'GET' && call.path === `${base}/Messages.json`) {
        return {
          op: 'read',
          reply: () => {
            const to = call.query.get('To');
            const from = call.query.get('From');
            const after = call.query.get('DateSent>');
            const list = receipts().filter((r) => (!to || r.to === to) && (!from || r.from === from) && (!after || Date.parse(r.dateCreated) >= Date.parse(after)));
            return {
              status: 200,
              body: {
                messages: list.map(messageJson),
                start: 0,
                end: list.length ? list.length - 1 : 0,
                page: 0,
                page_size: 1000,
                first_page_uri: `${base}/Messages.json?PageSize=1000&Page=0`,
                next_page_uri: null,
                previous_page_uri: null,
                uri: `${base}/Messages.json?PageSize=1000&Page=0`,
              },
            };
          },
        };
      }
      if (call.method === 'POST' && call.path === `${base}/Messages.json`) {
        const form = new URLSearchParams(call.body.toString('utf8'));
        const to = form.get('To') ?? '';
        return {
          op: 'send',
          recipient: to.replace(/^whatsapp:/, ''),
          accept: () => {
            if (!E164.test(to)) return twilioError(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
            if (!form.get('From') && !form.get('MessagingServiceSid')) return twilioError(400, 21603, "A 'From' or 'MessagingServiceSid' parameter is required to send a message");
            if (!form.get('Body') && !form.get('ContentSid') && !form.get('MediaUrl')) return twilioError(400, 21602, 'Message body is required.');
            const callback = form.get('StatusCallback') ?? undefined;
            let deliveryRef: string | undefined;
            try {
              deliveryRef = callback ? (new URL(callback).searchParams.get('d') ?? undefined) : undefined;
            } catch {
              deliveryRef = undefined;
            }
            return {
              sid: 'SM' + randomHex(32, random),
              accountSid,
              to,
              from: form.get('From') ?? undefined,
              messagingServiceSid: form.get('MessagingServiceSid') ?? undefined,
              body: form.get('Body') ?? undefined,
              contentSid: form.get('ContentSid') ?? undefined,
              contentVariables: form.get('ContentVariables') ?? undefined,
              statusCallback: callback,
              deliveryRef,
              dateCreated: new Date().toUTCString().replace('GMT', '+0000'),
            };
          },
          reply: (r) => ({ status: 201, body: messageJson(r) }),
        };
      }
      return twilioError(404, 20404, 'The requested resource was not found');
    },
    errorReply(fault: ErrorFault) {
      switch (fault.type) {
        case 'throttle':
          return twilioError(429, 20429, 'Too Many Requests', fault.retryAfterSeconds !== undefined ? { 'retry-after': String(fault.retryAfterSeconds) } : undefined);
        case 'server-error':
          return twilioError(fault.status ?? 500, 20500, 'Internal Server Error');
        case 'auth':
          return twilioError(401, 20003, 'Authenticate');
        case 'account':
          return twilioError(401, 20005, 'Account not active');
        case 'daily-quota':
          return twilioError(429, 20429, 'Too Many Requests');
        case 'content':
          return twilioError(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
        case 'reject-recipients':
          return twilioError(400, Number(fault.code ?? 21610), 'Attempt to send to unsubscribed recipient');
        case 'vendor-error':
          return twilioError(fault.status, Number(fault.code), fault.message ?? `error ${fault.code}`);
      }
    },
  };
  const fake = await startFake(vendor, opts);
  receipts = () => fake.receipts;
  return Object.assign(fake, { accountSid, byDelivery: (ref: string) => fake.receipts.filter((r) => r.deliveryRef === ref) });
}
