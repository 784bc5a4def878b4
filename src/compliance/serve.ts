/**
 * `mkt serve`: the small HTTP server recipients and providers call back (node:http, no
 * framework). Routes:
 *
 *   GET  /u/<token>                 confirmation page (a form that POSTs); never changes state
 *   POST /u/<token>                 RFC 8058 one-click: body List-Unsubscribe=One-Click → suppress, 200
 *   POST /feedback/ses              SNS → SES events (TopicArn pinned; signature with a pinned cert)
 *   POST /feedback/twilio/status    Twilio status callbacks (X-Twilio-Signature)
 *   POST /feedback/twilio/inbound   Twilio inbound messages: STOP / START keywords (X-Twilio-Signature)
 *   GET  /feedback/meta             Meta webhook verification (hub.challenge)
 *   POST /feedback/meta             Meta WhatsApp webhooks (X-Hub-Signature-256)
 *   GET  /healthz                   200 ok
 *
 * Bodies are capped (256 KiB → 413). Nothing here prints: the caller passes `log`.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { CHANNEL_FIELDS } from '../channels.js';
import { normaliseAddress } from '../customers/address.js';
import { SuppressionWriter } from '../db/compliance-sql.js';
import { ConfigError, InputError } from '../errors.js';
import type { WorkspaceSettings } from './config.js';
import { applyFeedback, parseMeta, parseSes, parseTwilioInbound, parseTwilioStatus, type FeedbackEvent } from './feedback/index.js';
import { plausibleSigningCertUrl, snsKeyFromPem, validMetaSignature, validSnsSignature, validTwilioSignature } from './feedback/signatures.js';
import type { UnsubscribeTokens } from './tokens.js';

export const MAX_BODY = 256 * 1024;

export interface ServeDeps {
  sqlite: Database.Database;
  settings: WorkspaceSettings;
  tokens?: UnsubscribeTokens;
  now: () => number;
  log: (line: string) => void;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) return reject(new HttpError(413, 'body too large'));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY) {
        reject(new HttpError(413, 'body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function form(body: Buffer): Record<string, string> {
  return Object.fromEntries(new URLSearchParams(body.toString('utf8')));
}

/** RFC 8058: `List-Unsubscribe=One-Click`, urlencoded or as a multipart/form-data field. */
export function isOneClick(body: Buffer, contentType: string | undefined): boolean {
  const text = body.toString('utf8');
  if (contentType?.startsWith('multipart/form-data')) {
    return /content-disposition:\s*form-data;\s*name="?List-Unsubscribe"?\r?\n(?:[^\r\n]+\r?\n)*\r?\n\s*One-Click\s*\r?\n/i.test(text);
  }
  return new URLSearchParams(text).get('List-Unsubscribe') === 'One-Click';
}

const html = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${title}</title></head>` +
  `<body style="font-family:sans-serif;max-width:32em;margin:4em auto;padding:0 1em">${body}</body></html>\n`;

function send(res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
  res.end(body);
}

export async function createFeedbackServer(deps: ServeDeps): Promise<Server> {
  const { settings, log } = deps;
  const fb = settings.feedback;
  const snsKey = fb?.ses?.signing_cert ? snsKeyFromPem(await readPinnedCert(settings.dir, fb.ses.signing_cert)) : undefined;
  const suppressions = new SuppressionWriter(deps.sqlite);
  const ledgerAddress = deps.sqlite.prepare('SELECT address FROM campaign_recipients WHERE campaign_id = ? AND customer_id = ? LIMIT 1');

  const apply = (events: FeedbackEvent[], what: string) => {
    const s = applyFeedback(deps.sqlite, events, deps.now());
    log(`${what}: ${s.events} event(s), ${s.matched} matched, ${s.suppressed} suppressed, ${s.lifted} lifted`);
  };

  const unsubscribe = async (req: IncomingMessage, res: ServerResponse, token: string) => {
    const subject = deps.tokens?.verify(token);
    if (!deps.tokens) throw new HttpError(404, 'unsubscribe links are not configured (mkt.yaml has no unsubscribe:)');
    if (!subject) {
      if (req.method === 'GET') return send(res, 400, html('Invalid link', '<p>This unsubscribe link is not valid.</p>'), 'text/html; charset=utf-8');
      throw new HttpError(400, 'invalid unsubscribe token');
    }
    if (req.method === 'GET') {
      // Link scanners fetch GET URLs: this page only offers a button, the POST does the work.
      const page = html(
        'Unsubscribe',
        `<h1>Unsubscribe</h1><p>Stop receiving these ${subject.channel === 'email' ? 'emails' : 'messages'}?</p>` +
          `<form method="post" action="/u/${token}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
      );
      return send(res, 200, page, 'text/html; charset=utf-8');
    }
    if (req.method !== 'POST') throw new HttpError(405, 'GET or POST');
    const body = await readBody(req);
    if (!isOneClick(body, req.headers['content-type'])) throw new HttpError(400, 'expected the body List-Unsubscribe=One-Click');
    const fromLedger = ledgerAddress.get(subject.campaignId, subject.customerId) as { address: string } | undefined;
    const column = CHANNEL_FIELDS[subject.channel].address;
    const address =
      fromLedger?.address ?? (deps.sqlite.prepare(`SELECT ${column} AS address FROM customers WHERE id = ?`).get(subject.customerId) as { address: string | null } | undefined)?.address;
    if (address) {
      // a ledger row frozen before the canonical rule may hold another spelling: suppress the canonical one
      const canonical = normaliseAddress(subject.channel, address) ?? address;
      const added = suppressions.add({ channel: subject.channel, address: canonical, reason: 'unsubscribed', source: `unsubscribe:c${subject.campaignId}`, note: null }, deps.now());
      if (added) log(`unsubscribed customer ${subject.customerId} from ${subject.channel} (campaign ${subject.campaignId})`);
    }
    send(res, 200, html('Unsubscribed', '<p>You are unsubscribed. You will not receive these messages again.</p>'), 'text/html; charset=utf-8');
  };

  const ses = async (req: IncomingMessage, res: ServerResponse) => {
    if (!fb?.ses) throw new HttpError(404, 'SES feedback is not configured (mkt.yaml feedback.ses)');
    const m = parseJson(await readBody(req));
    if (typeof m.TopicArn !== 'string' || !fb.ses.topic_arns.includes(m.TopicArn)) throw new HttpError(403, 'topic not accepted');
    if (snsKey && (!plausibleSigningCertUrl(m.SigningCertURL) || !validSnsSignature(m, snsKey))) throw new HttpError(403, 'bad SNS signature');
    if (m.Type === 'SubscriptionConfirmation') {
      // Confirming means fetching a URL taken from the request: an operator does it on purpose.
      log(`SNS subscription confirmation for ${m.TopicArn}: open this URL once to confirm: ${String(m.SubscribeURL)}`);
    }
    apply(parseSes(m), 'ses');
    send(res, 200, 'ok\n');
  };

  const twilio = async (req: IncomingMessage, res: ServerResponse, kind: 'status' | 'inbound') => {
    if (!fb?.twilio) throw new HttpError(404, 'Twilio feedback is not configured (mkt.yaml feedback.twilio)');
    const params = form(await readBody(req));
    const base = fb.twilio.public_url?.replace(/\/+$/, '') ?? `http://${req.headers.host ?? 'localhost'}`;
    const header = req.headers['x-twilio-signature'];
    if (!validTwilioSignature(typeof header === 'string' ? header : undefined, base + req.url, params, fb.twilio.auth_token)) throw new HttpError(403, 'bad X-Twilio-Signature');
    if (kind === 'status') {
      apply(parseTwilioStatus(params, new URL(req.url!, 'http://x').searchParams.get('d') ?? undefined), 'twilio status');
      return send(res, 200, '');
    }
    apply(parseTwilioInbound(params), 'twilio inbound');
    send(res, 200, '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', 'text/xml');
  };

  const meta = async (req: IncomingMessage, res: ServerResponse) => {
    if (!fb?.meta) throw new HttpError(404, 'Meta feedback is not configured (mkt.yaml feedback.meta)');
    if (req.method === 'GET') {
      const q = new URL(req.url!, 'http://x').searchParams;
      if (q.get('hub.mode') === 'subscribe' && q.get('hub.verify_token') === fb.meta.verify_token) return send(res, 200, q.get('hub.challenge') ?? '');
      throw new HttpError(403, 'verify token mismatch');
    }
    const raw = await readBody(req);
    const header = req.headers['x-hub-signature-256'];
    if (!validMetaSignature(typeof header === 'string' ? header : undefined, raw, fb.meta.app_secret)) throw new HttpError(403, 'bad X-Hub-Signature-256');
    apply(parseMeta(parseJson(raw)), 'meta');
    send(res, 200, 'ok\n');
  };

  return createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const route = async () => {
      const u = /^\/u\/([^/]+)$/.exec(url.pathname);
      if (u) return unsubscribe(req, res, decodeURIComponent(u[1]!));
      if (url.pathname === '/healthz' && req.method === 'GET') return send(res, 200, 'ok\n');
      if (url.pathname === '/feedback/meta' && (req.method === 'GET' || req.method === 'POST')) return meta(req, res);
      if (req.method !== 'POST') throw new HttpError(url.pathname.startsWith('/feedback/') ? 405 : 404, 'not found');
      if (url.pathname === '/feedback/ses') return ses(req, res);
      if (url.pathname === '/feedback/twilio/status') return twilio(req, res, 'status');
      if (url.pathname === '/feedback/twilio/inbound') return twilio(req, res, 'inbound');
      throw new HttpError(404, 'not found');
    };
    route().catch((e: unknown) => {
      const status = e instanceof HttpError ? e.status : e instanceof InputError ? 400 : 500;
      const message = e instanceof HttpError || e instanceof InputError ? e.message : 'internal error';
      if (status >= 500) log(`error on ${req.method} ${url.pathname}: ${(e as Error).message}`);
      else log(`${status} ${req.method} ${url.pathname}: ${message}`);
      if (!res.headersSent) send(res, status, message + '\n');
      else res.end();
    });
  });
}

function parseJson(body: Buffer): Record<string, unknown> {
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) return v as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'expected a JSON object');
}

async function readPinnedCert(dir: string, file: string): Promise<string> {
  const full = path.resolve(dir, file);
  try {
    return await readFile(full, 'utf8');
  } catch (e) {
    throw new ConfigError('settings_invalid', `mkt.yaml: feedback.ses.signing_cert: cannot read ${full} (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
  }
}
