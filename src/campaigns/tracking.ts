/**
 * Click and open tracking for one campaign run: the workspace's `tracking:` with the campaign's
 * own settings over it, links signed with the unsubscribe keys, and every destination recorded
 * in campaign_links before the message that carries it is sent (so a token can only ever lead
 * to a URL this campaign sent). The link rewriting itself is src/templates/track-message.ts.
 */
import type { Channel } from '../channels.js';
import { InputError } from '../errors.js';
import { applyOverride, type TrackingSettings } from '../compliance/tracking-config.js';
import { trackingTokensFor } from '../compliance/index.js';
import type { WorkspaceSettings } from '../compliance/config.js';
import type { Campaign } from '../db/campaigns.js';
import type { LinkKind } from '../db/engagement.js';
import type { TrackingStore } from '../db/tracking-store.js';
import type { CompiledTemplate, Rendered } from '../templates/contract.js';
import { trackedButtonProblems, type CompiledWhatsApp } from '../templates/whatsapp.js';
import { trackRendered } from '../templates/track-message.js';
import { withUtm } from '../templates/track-links.js';
import { renderUtm } from '../templates/utm.js';

/**
 * Tracks one rendered message of the campaign for one ledger row: at once when every
 * destination in it is recorded already, else once the new ones are (a promise).
 */
export type MessageTracker = (rendered: Rendered, recipient: { ledgerId: number; unsubscribeUrl?: string }) => Rendered | Promise<Rendered>;

/** The campaign's effective tracking, or undefined when nothing is tracked. */
export function campaignTracking(settings: WorkspaceSettings, campaign: Pick<Campaign, 'settings'>): TrackingSettings | undefined {
  if (!settings.tracking) return undefined;
  const t = applyOverride(settings.tracking, campaign.settings.tracking);
  return t.clicks || t.opens ? t : undefined;
}

/** Whether a link is one mkt may rewrite: http(s), not the unsubscribe link, not already a tracking URL. */
export function trackable(url: string, t: { baseUrl: string; unsubscribeBase?: string; unsubscribeUrl?: string }): boolean {
  if (!/^https?:\/\/[^\s]/i.test(url)) return false;
  if (url === t.unsubscribeUrl) return false;
  if (t.unsubscribeBase && url.startsWith(`${t.unsubscribeBase}/`)) return false;
  return !url.startsWith(`${t.baseUrl}/`);
}

/**
 * Why a WhatsApp template's tracked URL buttons cannot be sent by this campaign, as
 * `file:line:col: message` (empty for other channels and templates without tracked buttons):
 * `campaign check` lists them and a send refuses, so an untrackable button is never sent.
 */
export function trackedButtonIssues(template: CompiledTemplate, tracking: TrackingSettings | undefined): string[] {
  if (template.channel !== 'whatsapp') return [];
  const base = tracking?.clicks ? tracking.baseUrl : undefined;
  return trackedButtonProblems((template as CompiledWhatsApp).spec, base).map((p) => `${template.file}:${p.line}:${p.col}: ${p.message}`);
}

export interface TrackerOptions {
  /** where the campaign's links are recorded (either store) */
  links: Pick<TrackingStore, 'links' | 'registerLinks'>;
  settings: WorkspaceSettings;
  campaign: { id: number; name: string; channel: Channel; settings: Campaign['settings'] };
  /** the campaign's template: its max_segments (SMS), its tracked buttons (WhatsApp) */
  template: CompiledTemplate;
  /** an A/B test's variant templates, whose tracked buttons count too */
  variants?: ReadonlyMap<string, CompiledTemplate>;
  now: () => number;
}

/** The tracker of a campaign run, or undefined when the campaign tracks nothing. */
export async function loadTracker(o: TrackerOptions): Promise<MessageTracker | undefined> {
  const t = campaignTracking(o.settings, o.campaign);
  const templates = [o.template, ...(o.variants?.values() ?? [])];
  const issues = templates.flatMap((x) => trackedButtonIssues(x, t));
  if (issues.length > 0) throw new InputError('untrackable_button', issues.join('\n'));
  const tokens = trackingTokensFor(o.settings);
  // WhatsApp has nothing to track but its tracked URL buttons
  const buttons = templates.some((x) => x.channel === 'whatsapp' && (x as CompiledWhatsApp).spec.buttons.some((b) => b.track));
  if (!t || !tokens || (o.campaign.channel === 'whatsapp' && !buttons)) return undefined;
  const utm = await renderUtm(t.utm, { channel: o.campaign.channel, campaign: { name: o.campaign.name, id: o.campaign.id } });
  const campaignId = o.campaign.id;
  // destination → link id, filled from what earlier runs (and other workers) recorded
  const ids = new Map((await o.links.links(campaignId)).map((l) => [l.url, l.link_id]));
  // destinations being recorded now: two messages with the same new link wait for one write
  const recording = new Map<string, Promise<void>>();
  const record = (links: Array<{ url: string; kind: LinkKind }>): Promise<unknown> => {
    const fresh = links.filter((l) => !recording.has(l.url));
    if (fresh.length > 0) {
      const written = o.links.registerLinks(campaignId, fresh, o.now()).then((m) => {
        for (const [url, id] of m) ids.set(url, id);
      });
      const done = () => {
        for (const l of fresh) recording.delete(l.url);
      };
      written.then(done, done);
      for (const l of fresh) recording.set(l.url, written);
    }
    return Promise.all(links.map((l) => recording.get(l.url) ?? Promise.resolve()));
  };
  const unsubscribeBase = o.settings.unsubscribe?.baseUrl;
  const tracked = (rendered: Rendered, r: { ledgerId: number; unsubscribeUrl?: string }, missing: Array<{ url: string; kind: LinkKind }>): Rendered => {
    const rules = { baseUrl: t.baseUrl, unsubscribeBase, unsubscribeUrl: r.unsubscribeUrl };
    const subject = (id: number) => ({ campaignId, ledgerId: r.ledgerId, linkId: id });
    return trackRendered(rendered, {
      click: t.clicks
        ? (url, kind) => {
            if (!trackable(url, rules)) return undefined;
            const dest = withUtm(url, utm);
            const id = ids.get(dest);
            if (id === undefined) {
              // a first pass only collects the new destinations: its message is thrown away
              missing.push({ url: dest, kind });
              return `${t.baseUrl}/c/pending`;
            }
            // SMS links and WhatsApp buttons share the short links (a button's suffix must stay short)
            return kind === 'link' ? `${t.baseUrl}/c/${tokens.sign(subject(id))}` : `${t.baseUrl}/s/${tokens.short(subject(id))}`;
          }
        : undefined,
      pixel: t.opens && rendered.channel === 'email' ? `${t.baseUrl}/o/${tokens.sign(subject(0))}.gif` : undefined,
      maxSegments: (o.template as { maxSegments?: number }).maxSegments,
    });
  };
  return (rendered, r) => {
    const missing: Array<{ url: string; kind: LinkKind }> = [];
    let out: Rendered | undefined;
    try {
      out = tracked(rendered, r, missing);
    } catch (e) {
      // a message with placeholders is not the message: only the second pass may refuse it
      if (missing.length === 0) throw e;
    }
    if (missing.length === 0) return out!;
    // a destination no message carried yet: recorded (committed) before this message is built again and sent
    return record(missing).then(() => {
      const still: Array<{ url: string; kind: LinkKind }> = [];
      const again = tracked(rendered, r, still);
      if (still.length > 0) throw new Error(`tracked link not recorded: ${still[0]!.url}`);
      return again;
    });
  };
}
