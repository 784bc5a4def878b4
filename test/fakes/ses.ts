/**
 * Fake Amazon SES v2 on 127.0.0.1 (faults and common API: see ./http.ts).
 *
 *   const ses = await startFakeSes({ accessKeyId: 'AKIDFAKE' });
 *   // SESv2Client({ endpoint: ses.url, region: 'us-east-1', credentials: { accessKeyId: 'AKIDFAKE', secretAccessKey: … } })
 *   ses.receipts[0]  // { messageId, from, to, subject, html, text, headers, tags, configurationSet, … }
 *   ses.byDelivery('c1_r2_a1')  // receipts whose `delivery` tag matches (reconcile tests)
 *
 * Wire format: POST /v2/email/outbound-emails (SendEmail, JSON) and GET /v2/email/account
 * (GetAccount). The SigV4 `Authorization` header must name `accessKeyId` (the signature itself is
 * not verified). Errors carry `x-amzn-ErrorType` and a JSON `{ message }`, as SES sends them.
 */
import { randomHex, seededRandom, startFake, type ErrorFault, type FakeOptions, type FakeServer, type IncomingCall, type Reply, type Vendor } from './http.js';

export interface SesReceipt {
  messageId: string;
  from: string;
  to: string[];
  replyTo: string[];
  subject: string;
  html?: string;
  text?: string;
  headers: Array<{ Name: string; Value: string }>;
  tags: Record<string, string>;
  configurationSet?: string;
}

export interface FakeSesOptions extends FakeOptions {
  accessKeyId?: string;
  /** Overrides of the GetAccount answer. */
  account?: Record<string, unknown>;
}

export interface FakeSes extends FakeServer<SesReceipt> {
  byDelivery(ref: string): SesReceipt[];
}

const sesError = (status: number, type: string, message: string): Reply => ({ status, headers: { 'x-amzn-ErrorType': type }, body: { message } });

export async function startFakeSes(opts: FakeSesOptions = {}): Promise<FakeSes> {
  const accessKeyId = opts.accessKeyId ?? 'AKIDFAKE';
  const random = seededRandom((opts.seed ?? 1) + 101);
  const vendor: Vendor<SesReceipt> = {
    authorize(call) {
      const auth = String(call.headers.authorization ?? '');
      if (!auth.startsWith(`AWS4-HMAC-SHA256 Credential=${accessKeyId}/`)) {
        return sesError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
      }
      return undefined;
    },
    route(call: IncomingCall) {
      if (call.method === 'GET' && call.path === '/v2/email/account') {
        return {
          op: 'read',
          reply: () => ({
            status: 200,
            body: {
              DedicatedIpAutoWarmupEnabled: false,
              EnforcementStatus: 'HEALTHY',
              ProductionAccessEnabled: true,
              SendQuota: { Max24HourSend: 50000, MaxSendRate: 14, SentLast24Hours: 0 },
              SendingEnabled: true,
              SuppressionAttributes: { SuppressedReasons: [] },
              ...opts.account,
            },
          }),
        };
      }
      if (call.method === 'POST' && call.path === '/v2/email/outbound-emails') {
        const input = JSON.parse(call.body.toString('utf8') || '{}');
        const to: string[] = input.Destination?.ToAddresses ?? [];
        return {
          op: 'send',
          recipient: to[0] ?? '',
          accept: () => {
            const simple = input.Content?.Simple;
            if (!input.FromEmailAddress || !simple?.Subject?.Data || !(simple.Body?.Html?.Data || simple.Body?.Text?.Data) || to.length === 0) {
              return sesError(400, 'BadRequestException', 'Missing required field (FromEmailAddress, Destination, Subject or Body).');
            }
            return {
              messageId: `0100${randomHex(12, random)}-${randomHex(8, random)}-000000`,
              from: input.FromEmailAddress,
              to,
              replyTo: input.ReplyToAddresses ?? [],
              subject: simple.Subject.Data,
              html: simple.Body.Html?.Data,
              text: simple.Body.Text?.Data,
              headers: simple.Headers ?? [],
              tags: Object.fromEntries((input.EmailTags ?? []).map((t: { Name: string; Value: string }) => [t.Name, t.Value])),
              configurationSet: input.ConfigurationSetName,
            };
          },
          reply: (r) => ({ status: 200, body: { MessageId: r.messageId } }),
        };
      }
      return { status: 404, headers: { 'x-amzn-ErrorType': 'UnknownOperationException' }, body: { message: 'Unknown operation' } };
    },
    errorReply(fault: ErrorFault, call) {
      switch (fault.type) {
        case 'throttle':
          return sesError(429, 'TooManyRequestsException', 'Maximum sending rate exceeded.');
        case 'server-error':
          return sesError(fault.status ?? 500, 'InternalFailure', 'The request processing has failed because of an unknown error.');
        case 'auth':
          return sesError(403, 'UnrecognizedClientException', 'The security token included in the request is invalid.');
        case 'account':
          return sesError(400, 'SendingPausedException', 'Sending is paused for this account.');
        case 'daily-quota':
          return sesError(429, 'TooManyRequestsException', 'Daily message quota exceeded.');
        case 'content':
          return sesError(400, 'MessageRejected', 'Transaction failed: Illegal header.');
        case 'reject-recipients': {
          const to = JSON.parse(call.body.toString('utf8')).Destination?.ToAddresses?.[0];
          return sesError(400, String(fault.code ?? 'MessageRejected'), `Email address is not verified. The following identities failed the check in region US-EAST-1: ${to}`);
        }
        case 'vendor-error':
          return sesError(fault.status, String(fault.code), fault.message ?? String(fault.code));
      }
    },
  };
  const fake = await startFake(vendor, opts);
  return Object.assign(fake, {
    byDelivery: (ref: string) => fake.receipts.filter((r) => r.tags.delivery === ref),
  });
}
