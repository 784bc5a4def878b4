import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplate, demoVars, type RenderedEmail } from '../../src/templates/index.js';
import { ROOT } from '../support/cli.js';

/**
 * The sample email in a real browser: headless Chromium (Debian's `chromium`, which .ci/run
 * installs) at phone and desktop widths; the unsubscribe link must be there and visible.
 * Screenshots go to test-artifacts/ (git-ignored).
 */
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`\n*** SKIPPED: the real-browser email check needs ${CHROMIUM} (apt-get install chromium) ***\n`);

const UNSUB = 'https://example.com/unsubscribe/browser-check';
const ARTIFACTS = path.join(ROOT, 'test-artifacts');

describe('sample email in headless Chromium', () => {
  it.skipIf(!haveChromium)('the unsubscribe link is present and visible at 375 px and 640 px', async () => {
    const { chromium } = await import('playwright-core');
    const email = (await loadTemplate(ROOT, 'email/spring-sale')).render(demoVars({ unsubscribe_url: UNSUB })) as RenderedEmail;
    mkdirSync(ARTIFACTS, { recursive: true });
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    try {
      for (const width of [375, 640]) {
        const page = await browser.newPage({ viewport: { width, height: 900 } });
        // no network: remote images and fonts must not decide the outcome (or hang the test)
        await page.route('**/*', (route) => (route.request().url().startsWith('data:') ? route.continue() : route.abort()));
        await page.setContent(email.html, { waitUntil: 'domcontentloaded' });
        const link = page.locator(`a[href="${UNSUB}"]`);
        expect(await link.count()).toBe(1);
        await link.scrollIntoViewIfNeeded();
        expect(await link.isVisible()).toBe(true);
        const box = await link.boundingBox();
        expect(box).not.toBeNull();
        // the callbacks run in the page: globalThis there is the browser window
        const pageWidth = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
        expect(box!.width).toBeGreaterThan(0);
        expect(box!.height).toBeGreaterThan(0);
        expect(box!.x).toBeGreaterThanOrEqual(0);
        expect(box!.x + box!.width).toBeLessThanOrEqual(pageWidth);
        // the layout fits the screen: no horizontal scrolling on a phone
        expect(pageWidth).toBeLessThanOrEqual(width);
        const style = await link.evaluate((el) => {
          const s = (globalThis as any).getComputedStyle(el);
          return { display: s.display, visibility: s.visibility, opacity: Number(s.opacity), fontSize: parseFloat(s.fontSize), color: s.color };
        });
        expect(style.display).not.toBe('none');
        expect(style.visibility).toBe('visible');
        expect(style.opacity).toBeGreaterThan(0);
        expect(style.fontSize).toBeGreaterThanOrEqual(10);
        expect(await link.innerText()).toMatch(/unsubscribe/i);
        await page.screenshot({ path: path.join(ARTIFACTS, `spring-sale-${width}.png`), fullPage: true });
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });
});
