/**
 * A rendered message with its links tracked: the email HTML and text part, the SMS text. What a
 * link becomes is the caller's (src/campaigns/tracking.ts signs and records it); this side only
 * knows where links are and keeps everything else as rendered. An SMS is measured again, since
 * a short link changes its length (usually saving segments).
 */
import { RenderError, type Rendered } from './contract.js';
import { smsInfo } from './sms-encoding.js';
import { rewriteHtmlLinks, rewriteTextLinks } from './track-links.js';

export interface MessageLinks {
  /** The tracked URL for a link, or undefined to leave it (not http(s), unsubscribe, tracking domain …). */
  click?: (url: string, kind: 'link' | 'sms') => string | undefined;
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
      return rendered;
  }
}
