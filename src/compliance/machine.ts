/**
 * Which tracked clicks and opens a machine made, so they stay out of the human rates:
 * - a HEAD request (link checkers and previewers ask for headers only);
 * - a known link scanner's user agent (security gateways, chat previewers, HTTP libraries);
 * - a click within `windowMs` of delivery (of sending, when no delivery report came): gateways
 *   follow every link as the message arrives; mkt's clock decides, so MKT_NOW moves it;
 * - one recipient hitting every link of the campaign within a second (no person does that);
 * - an open from a mailbox image proxy (Apple Mail Privacy Protection, Gmail's and Yahoo's image
 *   proxies) or within `windowMs` of delivery (MPP fetches every image on arrival).
 * Pure rules plus one small bounded memory of recent clicks; serve-track.ts applies them.
 */

export type UserAgentClass = 'browser' | 'scanner' | 'mail_proxy' | 'apple_mail' | 'none' | 'other';
export type MachineReason = 'head' | 'scanner_ua' | 'after_delivery' | 'all_links' | 'mail_proxy';

const SCANNER =
  /barracuda|proofpoint|mimecast|safelinks|microsoft office|ms-office|bingpreview|trend ?micro|symantec|messagelabs|forcepoint|ironport|cisco|fortinet|fortiguard|sophos|zscaler|palo ?alto|check ?point|urldefense|appriver|vadesecure|libwww|python-requests|python-urllib|aiohttp|go-http-client|java\/|okhttp|wget|curl\/|scrapy|slackbot|facebookexternalhit|twitterbot|linkedinbot|discordbot|telegrambot|skypeuripreview|googlebot|\b(bot|crawler|spider|scanner)\b/i;
const MAIL_PROXY = /googleimageproxy|ggpht\.com|yahoomailproxy|yahoo! slurp/i;
// Apple Mail (with Privacy Protection, fetched by Apple's proxy) sends WebKit's UA without a Safari token
const APPLE_MAIL = /^Mozilla\/5\.0 \((Macintosh|iPhone|iPad)[^)]*\) AppleWebKit\/[\d.]+ \(KHTML, like Gecko\)( Mobile\/\w+)?$/;

// user agents repeat (a few browsers, a few proxies): each is classed once, in a bounded memo
const memo = new Map<string, UserAgentClass>();
const MEMO_MAX = 2000;

/** A coarse class of a user agent; the user agent itself is never stored. */
export function userAgentClass(ua: string | undefined): UserAgentClass {
  if (ua === undefined) return 'none';
  let c = memo.get(ua);
  if (c === undefined) {
    c = classOf(ua);
    if (memo.size >= MEMO_MAX) memo.clear();
    memo.set(ua, c);
  }
  return c;
}

function classOf(ua: string | undefined): UserAgentClass {
  if (!ua || !ua.trim()) return 'none';
  if (MAIL_PROXY.test(ua)) return 'mail_proxy';
  if (SCANNER.test(ua)) return 'scanner';
  if (APPLE_MAIL.test(ua) || ua === 'Mozilla/5.0') return 'apple_mail';
  if (/^Mozilla\/5\.0 /.test(ua)) return 'browser';
  return 'other';
}

export interface HitFacts {
  kind: 'click' | 'open';
  head: boolean;
  ua: UserAgentClass;
  at: number;
  /** when the message was delivered (else sent); undefined when unknown */
  deliveredAt?: number;
  windowMs: number;
  /** this click completed a sweep over every link within a second */
  sweep?: boolean;
}

/** Human, or machine and why (the first rule that applies, in the order above). */
export function classify(f: HitFacts): { machine: boolean; reason?: MachineReason } {
  if (f.head) return { machine: true, reason: 'head' };
  if (f.kind === 'click' && f.ua === 'scanner') return { machine: true, reason: 'scanner_ua' };
  if (f.kind === 'open' && (f.ua === 'mail_proxy' || f.ua === 'apple_mail' || f.ua === 'scanner')) return { machine: true, reason: 'mail_proxy' };
  if (f.deliveredAt !== undefined && f.at - f.deliveredAt < f.windowMs) return { machine: true, reason: 'after_delivery' };
  if (f.sweep) return { machine: true, reason: 'all_links' };
  return { machine: false };
}

/** How long a sweep over every link may take. */
export const SWEEP_MS = 1000;
const MAX_TRACKED = 50_000;

/**
 * The links each recipient clicked in the last second, to spot a sweep over every link. Bounded:
 * beyond MAX_TRACKED recipients the oldest are forgotten (a sweep is over within a second).
 * Each click carries a payload (what the caller recorded for it), so that the click completing a
 * sweep hands back the sweep's earlier clicks: they were machine too and must be reclassified.
 */
export class SweepDetector<T = undefined> {
  private readonly recent = new Map<string, { since: number; links: Set<number>; clicks: T[]; done: boolean }>();

  /**
   * Records a click; `sweep` when, with it, this recipient hit all `links` (≥ 2) within SWEEP_MS.
   * `earlier`: on the click that completes the sweep only, the payloads of that window's clicks
   * before it (once per sweep; later clicks of the window come back `sweep` themselves).
   */
  click(recipient: string, linkId: number, at: number, links: number, payload?: T): { sweep: boolean; earlier: T[] } {
    let r = this.recent.get(recipient);
    if (!r || at - r.since > SWEEP_MS) {
      r = { since: at, links: new Set(), clicks: [], done: false };
      this.recent.delete(recipient);
      this.recent.set(recipient, r);
      if (this.recent.size > MAX_TRACKED) this.recent.delete(this.recent.keys().next().value!);
    }
    r.links.add(linkId);
    const sweep = links >= 2 && r.links.size >= links;
    if (!sweep) {
      if (payload !== undefined) r.clicks.push(payload);
      return { sweep, earlier: [] };
    }
    const earlier = r.done ? [] : r.clicks;
    r.done = true;
    r.clicks = [];
    return { sweep, earlier };
  }
}
