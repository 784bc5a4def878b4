/**
 * A tracked click in a real browser: a campaign sent through the outbox, its .eml's HTML opened
 * in headless Chromium, the link clicked. The browser must land on the real destination (a
 * local page), through `mkt serve`'s 302, and the click is counted once as a human, unique
 * click; the same recipient clicking again adds a click but not a unique one.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`\n*** SKIPPED: the tracked-click browser check needs ${CHROMIUM} (apt-get install chromium) ***\n`);

const listen = (server: Server, port = 0) => new Promise<number>((resolve) => server.listen(port, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
const close = (server: Server) => new Promise<void>((resolve) => server.close(() => resolve()));

/** The text/html part of an outbox .eml, transfer encoding undone. */
function htmlPart(eml: string): string {
  const m = /Content-Type: text\/html[^]*?Content-Transfer-Encoding: ([\w-]+)\r?\n\r?\n([^]*?)\r?\n--/i.exec(eml);
  if (!m) throw new Error('no text/html part');
  const [, encoding, body] = m as unknown as [string, string, string];
  if (encoding.toLowerCase() === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding.toLowerCase() === 'quoted-printable') {
    const bytes = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, h: string) => `%${h}`);
    return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/gi, '%25'));
  }
  return body;
}

let ws: ComplianceWorkspace | undefined;
let serve: ServeProcess | undefined;
const landing = createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end(`<!doctype html><title>landed</title><h1 id="landed">${req.url}</h1>`);
});

afterAll(async () => {
  await serve?.stop();
  if (landing.listening) await close(landing);
  ws?.cleanup();
});

describe('a tracked link in headless Chromium', () => {
  it.skipIf(!haveChromium)('lands on the destination and is counted once; a second click is not unique', async () => {
    const pagePort = await listen(landing);
    // the port mkt serve will listen on, known before the send signs links for it
    const probe = createServer();
    const servePort = await listen(probe);
    await close(probe);
    ws = complianceWorkspace({
      customers: 'external_id,email,email_opt_in,first_name\na,ana@example.org,yes,Ana\n',
      mktYaml: `${UNSUBSCRIBE_YAML}tracking:\n  base_url: http://127.0.0.1:${servePort}\n`,
    });
    ws.write(
      'templates/email/news.mjml',
      `---\nsubject: "Hi {{ first_name }}"\n---\n<mjml><mj-body><mj-section><mj-column>\n<mj-text><a id="go" href="http://127.0.0.1:${pagePort}/landing?from=mail">Shop now</a></mj-text>\n<mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>\n</mj-column></mj-section></mj-body></mjml>\n`,
    );
    for (const args of [
      ['campaign', 'create', '--name', 'news', '--channel', 'email', '--segment', 'all-email', '--provider', 'outbox', '--template', 'news'],
      ['campaign', 'prepare', 'news'],
      ['campaign', 'send', 'news', '--yes'],
    ]) {
      const r = ws.cli(args, { MKT_NOW: '2026-03-02T10:00:00.000Z' });
      expect(r.code, r.stderr).toBe(0);
    }
    const dir = path.join(ws.dir, '.mkt', 'outbox', 'news');
    const html = htmlPart(readFileSync(path.join(dir, readdirSync(dir).find((f) => f.endsWith('.eml'))!), 'utf8'));
    expect(html).toContain(`http://127.0.0.1:${servePort}/c/`);
    expect(html).not.toContain(`127.0.0.1:${pagePort}`);
    // an hour later: outside the bot-click window
    serve = await startServe(ws.dir, { ...ws.env, MKT_NOW: '2026-03-02T11:00:00.000Z' }, servePort);

    const clicks = () => ws!.query<{ count: number; unique_count: number }>(`SELECT count, unique_count FROM engagement_hourly WHERE kind = 'click' AND link_id = 1 AND machine = 0`);
    const settle = async (count: number) => {
      for (let i = 0; i < 100 && (clicks()[0]?.count ?? 0) < count; i++) await new Promise((r) => setTimeout(r, 50));
    };
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    try {
      const page = await browser.newPage();
      // only the two local servers: nothing else may decide the outcome
      await page.route('**/*', (route) => (/^http:\/\/127\.0\.0\.1:/.test(route.request().url()) ? route.continue() : route.abort()));
      await page.setContent(html, { waitUntil: 'domcontentloaded' });
      await Promise.all([page.waitForURL(`http://127.0.0.1:${pagePort}/**`), page.click('a#go')]);
      expect(page.url()).toBe(`http://127.0.0.1:${pagePort}/landing?from=mail`);
      expect(await page.textContent('#landed')).toBe('/landing?from=mail');
      await settle(1);
      expect(clicks()).toEqual([{ count: 1, unique_count: 1 }]);

      await page.setContent(html, { waitUntil: 'domcontentloaded' });
      await Promise.all([page.waitForURL(`http://127.0.0.1:${pagePort}/**`), page.click('a#go')]);
      await settle(2);
      expect(clicks()).toEqual([{ count: 2, unique_count: 1 }]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
