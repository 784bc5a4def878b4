/**
 * Tracked WhatsApp URL buttons: what a template may declare, and what the wire carries once the
 * campaign's tracker has replaced the destination with a short link (the real TrackingTokens).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TrackingTokens } from '../../../src/compliance/tokens.js';
import { loadTemplate, validateTemplates, demoVars, type RenderedWhatsApp } from '../../../src/templates/index.js';
import { trackRendered } from '../../../src/templates/track-message.js';
import { trackedButtonProblems, type CompiledWhatsApp } from '../../../src/templates/whatsapp.js';
import { workspaceWith } from './workspace.js';

const BASE = 'https://t.shop.example';
const yaml = (button: string) => `name: spring
language: en_US
category: MARKETING
body: "Hi {{1}}."
parameters:
  - "{{ first_name }}"
buttons:
  - { type: quick_reply, text: Stop }
  - ${button}
`;
const load = async (button: string) => (await loadTemplate(workspaceWith({ 'templates/whatsapp/w.yaml': yaml(button) }), 'w')) as CompiledWhatsApp;
const tokens = new TrackingTokens({ keyId: 'k1', secret: 'a-test-secret-of-enough-length' });

describe('a tracked button in the template', () => {
  it('needs the approved url ending in {{1}}, and not a parameter as well', async () => {
    const check = async (button: string) => (await validateTemplates(workspaceWith({ 'templates/whatsapp/w.yaml': yaml(button) }), undefined, { trackingBaseUrl: BASE })).errors.map((e) => `${e.line}:${e.col}: ${e.message}`);
    expect(await check(`{ type: url, track: "https://shop.example/x" }`)).toEqual([expect.stringMatching(/^9:5: missing "buttons\.1\.url"/)]);
    expect(await check(`{ type: url, url: "${BASE}/s/fixed", track: "https://shop.example/x" }`)).toEqual([expect.stringMatching(/^9:23: buttons\[1\]\.url must be the approved button URL ending in the suffix placeholder/)]);
    expect(await check(`{ type: url, url: "${BASE}/s/{{1}}", track: "https://shop.example/x", parameter: "{{ id }}" }`)).toEqual([expect.stringMatching(/give "track" .* or "parameter" .*, not both/)]);
    expect(await check(`{ type: url, url: "https://shop.example/{{1}}", track: "https://shop.example/x" }`)).toEqual([
      `9:23: buttons[1].url: the approved button URL "https://shop.example/{{1}}" is not the tracking domain's short-link prefix: it must be "${BASE}/s/{{1}}" (tracking.base_url in mkt.yaml)`,
    ]);
    expect(await check(`{ type: url, url: "${BASE}/s/{{1}}", track: "https://shop.example/x" }`)).toEqual([]);
    expect(await check(`{ type: url, url: "${BASE}/s/{{1}}", track: "shop.example/{{ id }}" }`)).toEqual([expect.stringMatching(/^9:\d+: rendering for the demo customer: button 2 \(url\) track "shop.example\/1" is not an http\(s\) URL/)]);
  });

  it('is refused when clicks are not tracked', async () => {
    const t = await load(`{ type: url, url: "${BASE}/s/{{1}}", track: "https://shop.example/x" }`);
    expect(trackedButtonProblems(t.spec, undefined)).toEqual([{ line: 9, col: 23, message: expect.stringContaining('buttons[1].track: the button is tracked but clicks are not') }]);
    expect(trackedButtonProblems(t.spec, 'https://other.example')).toHaveLength(1);
  });
});

describe('the tracked message on the wire', () => {
  it('for any destination and recipient: the Meta button parameter and the Twilio variable are the short code, and prefix + code is the short link', async () => {
    const t = await load(`{ type: url, url: "${BASE}/s/{{1}}", track: "https://shop.example/p/{{ attributes.sku }}?c={{ id }}" }`);
    await fc.assert(
      fc.asyncProperty(fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/), fc.integer({ min: 1, max: 2 ** 40 }), fc.integer({ min: 1, max: 500 }), async (sku, ledgerId, linkId) => {
        const vars = demoVars();
        const rendered = t.render({ ...vars, attributes: { ...(vars.attributes as object), sku } });
        expect(rendered.trackedButtons).toEqual([{ index: 1, url: `${BASE}/s/{{1}}`, destination: `https://shop.example/p/${sku}?c=1`, twilioVar: '2' }]);
        const seen: string[] = [];
        const tracked = trackRendered(rendered, {
          click: (url, kind) => {
            seen.push(`${kind} ${url}`);
            return `${BASE}/s/${tokens.short({ campaignId: 7, ledgerId, linkId })}`;
          },
        }) as RenderedWhatsApp;
        const code = tokens.short({ campaignId: 7, ledgerId, linkId });
        expect(seen).toEqual([`button https://shop.example/p/${sku}?c=1`]);
        expect(tracked.meta.components).toContainEqual({ type: 'button', sub_type: 'url', index: '1', parameters: [{ type: 'text', text: code }] });
        expect(JSON.parse(tracked.twilio.contentVariables)).toEqual({ 1: 'Ana', 2: code });
        expect(JSON.stringify(tracked)).not.toContain('shop.example/p/');
        expect(tokens.verifyShort(code)).toEqual({ campaignId: 7, ledgerId, linkId });
      }),
      { numRuns: 100 },
    );
  });
});
