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
 *   GET  /c/<token>  /s/<code>      tracked click / SMS short link → 302 to the recorded destination (serve-track.ts)
 *   GET  /o/<token>.gif             open pixel
 *
 * Bodies are capped (256 KiB → 413, declared or chunked). Nothing here prints: the caller passes
 * `log`, and every line is escaped (request text cannot forge a line) and never holds a token.
 * Every request is answered: a malformed target is 400, a handler's failure 500, and the
 * process never sees the error. Writes never wait for SQLite's lock, nor for a PostgreSQL that
 * is down (serve-spool.ts): an opt-out or event is answered 200 once committed or fsync'ed into
 * the spool, else 503.
 *
 * An SQLite file that `mkt db copy` moved to PostgreSQL while this server ran refuses every
 * write from then on (store_moved, checked under the write lock of each batch): the server goes
 * on answering (redirects, pixels, unsubscribe pages), spools every record instead, logs one
 * `error store_moved` line saying what to do, says `store_moved` on /healthz, and exits 78 when
 * stopped; the spool is replayed into the PostgreSQL store by the next command writing to it.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { isStoreMoved } from '../db/store-moved.js';
import type { TrackingStore } from '../db/tracking-store.js';
import { ConfigError, InputError, type MktError } from '../errors.js';
import type { WorkspaceSettings } from './config.js';
import { parseMeta, parseSes, parseTwilioInbound, parseTwilioStatus, type FeedbackEvent } from './feedback/index.js';
import { plausibleSigningCertUrl, snsKeyFromPem, validMetaSignature, validSnsSignature, validTwilioSignature } from './feedback/signatures.js';
import { decodeSegment, escapeLogLine, HttpError, loggablePath, parseTarget, readBody, send, tokenRef, type Target } from './serve-http.js';
import { recordApplier, type ServeRecord } from './serve-records.js';
import { DurableQueue, SpoolUnavailable } from './serve-spool.js';
import { trackingRoutes, type EngagementRecordHit } from './serve-track.js';
import type { TrackingTokens, UnsubscribeTokens } from './tokens.js';

export interface ServeDeps {
  /** The store (SQLite or PostgreSQL), through the one repository serve writes with. */
  store: TrackingStore;
  /** The database file (PostgreSQL: serveSpoolBase): spooled records are kept beside it. */
  dbFile: string;
  settings: WorkspaceSettings;
  tokens?: UnsubscribeTokens;
  /** signs tracked links (same keys as `tokens`); without it /c/, /o/ and /s/ are 404 */
  trackingTokens?: TrackingTokens;
  now: () => number;
  log: (line: string) => void;
  /** How often spooled records are retried while the database is busy (ms). */
  retryMs?: number;
  /** How often an idle server reads whether its database file was moved away (ms). */
  movedCheckMs?: number;
}

export interface FeedbackServer {
  server: Server;
  /** After the server stopped listening: a last replay of the spool, waiting up to `waitMs` for the lock. */
  close(waitMs?: number): Promise<void>;
  /** The store_moved refusal once the database file was moved away under the server (it spools everything since). */
  storeMoved(): MktError | undefined;
}

/** Tracked hits are written in batches: at most this long after the answer, or this many at once. */
const HIT_BATCH_MS = 200;
const HIT_BATCH_MAX = 1000;

/** How often the server reads the moved mark between writes: cheap (a one-row table), not per hit. */
const MOVED_CHECK_MS = 5000;

/** How long providers are asked to wait before retrying a 503. */
const RETRY_AFTER_S = '30';

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
const HTML = 'text/html; charset=utf-8';

/** The path of unsubscribe.base_url (e.g. `/mkt/u` behind a proxy prefix), safe inside an HTML attribute. */
function unsubscribePath(baseUrl: string | undefined): string {
  const p = baseUrl ? new URL(baseUrl).pathname.replace(/\/+$/, '') : '/u';
  return p.replace(/[&"'<>]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function createFeedbackServer(deps: ServeDeps): Promise<FeedbackServer> {
  const { settings } = deps;
  const log = (line: string) => deps.log(escapeLogLine(line));
  const fb = settings.feedback;
  const snsKey = fb?.ses?.signing_cert ? snsKeyFromPem(await readPinnedCert(settings.dir, fb.ses.signing_cert)) : undefined;
  const formAction = unsubscribePath(settings.unsubscribe?.baseUrl);
  // Never wait synchronously for another process's lock: the spool takes what the store refuses.
  deps.store.setBusyTimeout(0);
  const queue = await DurableQueue.open<ServeRecord>({
    dbFile: deps.dbFile,
    apply: recordApplier(deps.store, log, settings.tracking?.individual ?? false),
    retryable: (e) => deps.store.refused(e),
    sealed: isStoreMoved,
    // the one line an operator must act on (later records are spooled without another one)
    onSealed: (e, spool) => log(movedLine(e as MktError, spool)),
    log,
    retryMs: deps.retryMs,
  });
  // A move is noticed at the next write (under its lock); this cheap read every few seconds makes
  // an idle server say so too (its log line, /healthz), not only once a hit arrives.
  const movedCheck = setInterval(() => {
    if (queue.sealed) return clearInterval(movedCheck);
    void deps.store
      .movedAway()
      .then((e) => (e ? queue.sealWith(e) : undefined))
      .catch(() => undefined); // a busy or unreadable file: the next write finds out
  }, deps.movedCheckMs ?? MOVED_CHECK_MS);
  movedCheck.unref();
  /** What /healthz says: `ok`, or why nothing reaches the database any more. */
  const health = () => {
    const moved = queue.sealed;
    return moved ? `store_moved: ${movedWhat(moved as MktError)}; ${queue.spooled} record(s) spooled to ${queue.file} until restarted with MKT_DB set to the new store\n` : 'ok\n';
  };

  /** Answers only once the record is durable; 503 when neither the store nor the spool took it. */
  const keep = async (record: ServeRecord): Promise<void> => {
    try {
      if ((await queue.submit(record)) === 'spooled') log(`${record.t === 'feedback' ? record.what : record.t === 'engage' ? `tracking: ${record.hits.length} hit(s)` : `unsubscribe ${record.ref}`}: spooled (${queue.sealed ? 'database moved' : 'database busy'})`);
    } catch (e) {
      if (e instanceof SpoolUnavailable) throw new HttpError(503, 'temporarily unavailable, retry later', { 'retry-after': RETRY_AFTER_S });
      throw e;
    }
  };
  // Hits wait here for their batch; the answer went out already, so a failure is only logged.
  const hits: EngagementRecordHit[] = [];
  let hitTimer: NodeJS.Timeout | undefined;
  // One batch is written at a time: hits arriving meanwhile wait here for the next, so a store
  // slower than the clicks (PostgreSQL round trips) is never handed a growing queue of batches.
  let writing: Promise<void> | undefined;
  const flushHits = (): Promise<void> => {
    clearTimeout(hitTimer);
    hitTimer = undefined;
    if (writing) return writing; // its loop takes what arrived meanwhile
    if (hits.length === 0) return Promise.resolve();
    writing = (async () => {
      while (hits.length > 0) {
        const batch = hits.splice(0, HIT_BATCH_MAX);
        try {
          await keep({ t: 'engage', at: deps.now(), hits: batch, ...(settings.tracking ? { tracking: settings.tracking } : {}) });
        } catch (e) {
          log(`tracking: ${batch.length} hit(s) not recorded: ${(e as Error).message}`);
        }
      }
    })().finally(() => {
      writing = undefined;
      if (hits.length > 0) hitTimer ??= setTimeout(() => void flushHits(), HIT_BATCH_MS);
    });
    return writing;
  };
  const tracking = deps.trackingTokens
    ? trackingRoutes({
        links: deps.store,
        tokens: deps.trackingTokens,
        now: deps.now,
        hit: (h) => {
          hits.push(h);
          if (hits.length >= HIT_BATCH_MAX) void flushHits();
          else hitTimer ??= setTimeout(() => void flushHits(), HIT_BATCH_MS);
        },
      })
    : undefined;

  /** What a successful request did, for its one log line (never a token: /u/ paths are logged as a hash). */
  const outcome = new WeakMap<ServerResponse, string>();
  const feedback = (res: ServerResponse, events: FeedbackEvent[], what: string) => {
    outcome.set(res, `${what}: ${events.length} event(s)`);
    return keep({ t: 'feedback', at: deps.now(), what, events });
  };

  const unsubscribe = async (req: IncomingMessage, res: ServerResponse, token: string) => {
    if (!deps.tokens) throw new HttpError(404, 'unsubscribe links are not configured (mkt.yaml has no unsubscribe:)');
    const subject = deps.tokens.verify(token);
    if (!subject) {
      if (req.method === 'GET') return send(res, 400, html('Invalid link', '<p>This unsubscribe link is not valid.</p>'), HTML);
      throw new HttpError(400, 'invalid unsubscribe token');
    }
    if (req.method === 'GET') {
      // Link scanners fetch GET URLs: this page only offers a button, the POST does the work.
      // The token only has URL-safe characters (verified above).
      const page = html(
        'Unsubscribe',
        `<h1>Unsubscribe</h1><p>Stop receiving these ${subject.channel === 'email' ? 'emails' : 'messages'}?</p>` +
          `<form method="post" action="${formAction}/${token}"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`,
      );
      return send(res, 200, page, HTML);
    }
    if (req.method !== 'POST') throw new HttpError(405, 'GET or POST');
    const body = await readBody(req);
    if (!isOneClick(body, req.headers['content-type'])) throw new HttpError(400, 'expected the body List-Unsubscribe=One-Click');
    outcome.set(res, `unsubscribed customer ${subject.customerId} on ${subject.channel} (campaign ${subject.campaignId})`);
    await keep({ t: 'unsubscribe', at: deps.now(), campaignId: subject.campaignId, customerId: subject.customerId, channel: subject.channel, ref: tokenRef(token) });
    send(res, 200, html('Unsubscribed', '<p>You are unsubscribed. You will not receive these messages again.</p>'), HTML);
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
    await feedback(res, parseSes(m), 'ses');
    send(res, 200, 'ok\n');
  };

  const twilio = async (req: IncomingMessage, res: ServerResponse, target: Target, kind: 'status' | 'inbound') => {
    if (!fb?.twilio) throw new HttpError(404, 'Twilio feedback is not configured (mkt.yaml feedback.twilio)');
    const params = form(await readBody(req));
    const base = fb.twilio.public_url?.replace(/\/+$/, '') ?? `http://${req.headers.host ?? 'localhost'}`;
    const header = req.headers['x-twilio-signature'];
    if (!validTwilioSignature(typeof header === 'string' ? header : undefined, base + req.url, params, fb.twilio.auth_token)) throw new HttpError(403, 'bad X-Twilio-Signature');
    if (kind === 'status') {
      await feedback(res, parseTwilioStatus(params, target.query.get('d') ?? undefined), 'twilio status');
      return send(res, 200, '');
    }
    await feedback(res, parseTwilioInbound(params), 'twilio inbound');
    send(res, 200, '<?xml version="1.0" encoding="UTF-8"?><Response></Response>', 'text/xml');
  };

  const meta = async (req: IncomingMessage, res: ServerResponse, target: Target) => {
    if (!fb?.meta) throw new HttpError(404, 'Meta feedback is not configured (mkt.yaml feedback.meta)');
    if (req.method === 'GET') {
      const q = target.query;
      if (q.get('hub.mode') === 'subscribe' && q.get('hub.verify_token') === fb.meta.verify_token) return send(res, 200, q.get('hub.challenge') ?? '');
      throw new HttpError(403, 'verify token mismatch');
    }
    const raw = await readBody(req);
    const header = req.headers['x-hub-signature-256'];
    if (!validMetaSignature(typeof header === 'string' ? header : undefined, raw, fb.meta.app_secret)) throw new HttpError(403, 'bad X-Hub-Signature-256');
    await feedback(res, parseMeta(parseJson(raw)), 'meta');
    send(res, 200, 'ok\n');
  };

  const route = async (req: IncomingMessage, res: ServerResponse, target: Target) => {
    const p = target.path;
    const u = /^\/u\/([^/]+)$/.exec(p);
    if (u) return unsubscribe(req, res, decodeSegment(u[1]!));
    // still 200 once the file was moved: the server answers recipients; the body says store_moved
    if (p === '/healthz' && req.method === 'GET') return send(res, 200, health());
    if (p === '/feedback/meta' && (req.method === 'GET' || req.method === 'POST')) return meta(req, res, target);
    if (req.method !== 'POST') throw new HttpError(p.startsWith('/feedback/') ? 405 : 404, 'not found');
    if (p === '/feedback/ses') return ses(req, res);
    if (p === '/feedback/twilio/status') return twilio(req, res, target, 'status');
    if (p === '/feedback/twilio/inbound') return twilio(req, res, target, 'inbound');
    throw new HttpError(404, 'not found');
  };

  /** Every failure becomes an answer: the client's fault 4xx, ours 500; nothing reaches the process. */
  const fail = (req: IncomingMessage, res: ServerResponse, e: unknown) => {
    const status = e instanceof HttpError ? e.status : e instanceof InputError ? 400 : 500;
    const message = e instanceof HttpError || e instanceof InputError ? e.message : 'internal error';
    const where = `${req.method} ${loggablePath(parseTargetOrRaw(req.url))}`;
    log(status >= 500 ? `error ${status} on ${where}: ${(e as Error)?.message ?? String(e)}` : `${status} ${where}: ${message}`);
    if (res.headersSent) return void res.end();
    send(res, status, message + '\n', undefined, e instanceof HttpError ? e.headers : {});
  };

  const server = createServer((req, res) => {
    // A client that goes away mid-request must not become an unhandled 'error' event.
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    try {
      const target = parseTarget(req.url);
      // tracked links are the hot path (thousands a second after a send): answered synchronously,
      // without the per-request log line and promise chain of the other routes
      if (tracking && TRACKED.test(target.path)) {
        const answered = tracking.handle(req, res, target);
        // a link not in the cache yet is read first: its failure is answered like any other
        if (answered instanceof Promise) answered.catch((e: unknown) => fail(req, res, e));
        return;
      }
      // failures are logged by `fail`; every other answer gets its line here (health checks excepted)
      res.once('finish', () => {
        if (res.statusCode < 400 && target.path !== '/healthz') log(`${res.statusCode} ${req.method} ${loggablePath(target.path)}${outcome.has(res) ? `: ${outcome.get(res)}` : ''}`);
      });
      route(req, res, target).catch((e: unknown) => {
        try {
          fail(req, res, e);
        } catch {
          res.destroy();
        }
      });
    } catch (e) {
      fail(req, res, e);
    }
  });
  // Requests node's parser rejects (bad method, header syntax, oversized headers) still get an answer.
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return void socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  // CONNECT and protocol upgrades are not for this server: answer them instead of dropping the socket.
  const refuse = (_req: IncomingMessage, socket: Duplex) => {
    if (socket.writable) socket.end('HTTP/1.1 405 Method Not Allowed\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
    else socket.destroy();
  };
  server.on('connect', refuse);
  server.on('upgrade', refuse);

  return {
    server,
    close: async (waitMs = 5000) => {
      clearInterval(movedCheck);
      await flushHits();
      deps.store.setBusyTimeout(waitMs);
      await queue.close();
    },
    storeMoved: () => (isStoreMoved(queue.sealed) ? queue.sealed : undefined),
  };
}

const movedDetails = (e: MktError) => e.details as { path?: string; moved_to?: string; moved_at?: string } | undefined;

/** Where the database file went, from the store_moved refusal. */
function movedWhat(e: MktError): string {
  const d = movedDetails(e);
  return d?.moved_to ? `${d.path} was moved to ${d.moved_to} on ${d.moved_at} (mkt db copy)` : e.message;
}

/** The one line a server whose database file was moved away logs: what happened, what it does now, what to do. */
function movedLine(e: MktError, spool: string): string {
  return (
    `error store_moved: ${movedWhat(e)}; nothing more is written to it. Still answering: every opt-out, event and hit from now on is spooled to ${spool}. ` +
    `Stop this server and start it again with MKT_DB set to ${movedDetails(e)?.moved_to ?? 'the new store'} (with its user and password): it replays the spool there`
  );
}

/** Tracked hits are many: they are counted in the database and logged per batch, not per request. */
const TRACKED = /^\/(c|o|s)\//;

/** The path of a request target for a log line, whatever it is. */
function parseTargetOrRaw(raw: string | undefined): string {
  try {
    return parseTarget(raw).path;
  } catch {
    return (raw ?? '').slice(0, 200);
  }
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
