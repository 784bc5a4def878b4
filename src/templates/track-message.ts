/**
 * A rendered message with its links tracked: the email HTML and text part, the SMS text. What a
 * link becomes is the caller's (src/campaigns/tracking.ts signs and records it); this side only
 * knows where links are and keeps everything else as rendered. An SMS is measured again, since
 * a short link changes its length (usually saving segments).
 */
import { RenderError, type Rendered, type RenderedWhatsApp } from './contract.js';
import { smsInfo } from './sms-encoding.js';
import { rewriteHtmlLinks, rewriteTextLinks } from './track-links.js';

export interface MessageLinks {
  /** The tracked URL for a link, or undefined to leave it (not http(s), unsubscribe, tracking domain …). */
  click?: (url: string, kind: 'link' | 'sms' | 'button') => string | undefined;
  /** An open pixel URL for email HTML. */
  pixel?: string;
  /** SMS: the template's max_segments, enforced again on the tracked text. */
  maxSegments?: number;
}

/** The 1×1 image, placed last in the body so it loads after the content. */
const pixelTag = (url: string) => `<img src="${url.replace(/&/g, '&amp;').replace(/"/g, '&quot;')}" width="1" height="1" alt="" style="display:block;width:1px;height:1px;border:0" />`;

export function trackRendered(rendered: Rendered, links: MessageLinks): Rendered {
  const click = links.click;
  switch (rendered.channel) {
    case 'email': {
      let { html, text } = rendered;
      if (click) {
        const out = rewriteHtmlLinks(html, (url) => click(url, 'link'));
        html = out.html;
        const off = new Set(out.off);
        text = rewriteTextLinks(text, (url) => (off.has(url) ? undefined : click(url, 'link')));
      }
      if (links.pixel) {
        const at = html.toLowerCase().lastIndexOf('</body>');
        html = at >= 0 ? html.slice(0, at) + pixelTag(links.pixel) + html.slice(at) : html + pixelTag(links.pixel);
      }
      return { ...rendered, html, text, bytes: Buffer.byteLength(html) };
    }
    case 'sms': {
      if (!click) return rendered;
      const text = rewriteTextLinks(rendered.text, (url) => click(url, 'sms'));
      if (text === rendered.text) return rendered;
      const info = smsInfo(text);
      if (links.maxSegments !== undefined && info.segments > links.maxSegments && info.segments > rendered.segments) {
        throw new RenderError(`the message with tracked links is ${info.segments} segments; max_segments is ${links.maxSegments}`, 'too_many_segments');
      }
      return { ...rendered, text, encoding: info.encoding, segments: info.segments, characters: info.characters };
    }
    case 'whatsapp':
      return rendered.trackedButtons && click ? trackButtons(rendered, click) : rendered;
  }
}

/**
 * A tracked URL button: the destination becomes a short link like an SMS link, and what is sent
 * is that link's part after the approved URL's prefix (the text before {{1}}: the short-link
 * prefix, checked by trackedButtonProblems), in the Meta button parameter and the Twilio
 * variable alike. The tap then opens `<prefix><code>`, which is exactly the short link.
 */
function trackButtons(rendered: RenderedWhatsApp, click: NonNullable<MessageLinks['click']>): RenderedWhatsApp {
  const variables = JSON.parse(rendered.twilio.contentVariables) as Record<string, string>;
  const suffixes = new Map<number, string>();
  for (const b of rendered.trackedButtons!) {
    const prefix = b.url.replace(/\{\{\s*1\s*\}\}$/, '');
    const link = click(b.destination, 'button');
    if (link === undefined || !link.startsWith(prefix)) {
      throw new RenderError(`button ${b.index + 1}: its destination "${b.destination}" cannot be tracked through the approved URL ${b.url} (an http(s) URL off the tracking domain is needed)`, 'bad_parameter');
    }
    const suffix = link.slice(prefix.length);
    suffixes.set(b.index, suffix);
    variables[b.twilioVar] = suffix;
  }
  const components = rendered.meta.components.map((c) => {
    const suffix = c.type === 'button' && c.sub_type === 'url' ? suffixes.get(Number(c.index)) : undefined;
    return suffix === undefined ? c : { ...c, parameters: [{ type: 'text', text: suffix }] };
  });
  const { trackedButtons: _done, ...rest } = rendered;
  return { ...rest, meta: { ...rendered.meta, components }, twilio: { ...rendered.twilio, contentVariables: JSON.stringify(variables) } };
}
