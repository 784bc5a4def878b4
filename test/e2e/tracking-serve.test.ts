/**
 * Tracked links end to end through the built CLI: a send through the outbox rewrites the links
 * and records their destinations, `mkt serve` redirects a genuine token to exactly that
 * destination (302), answers anything forged with 404, counts HEAD and early clicks as machine,
 * and writes the hourly counts in both privacy modes (events only with `individual: true`).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { complianceWorkspace, UNSUBSCRIBE_YAML, type ComplianceWorkspace } from '../support/compliance-workspace.js';
import { startServe, type ServeProcess } from '../support/serve-process.js';

const CUSTOMERS = `external_id,email,phone,country,email_opt_in,sms_opt_in,whatsapp_opt_in,first_name
a,ana@example.org,+447911100001,GB,yes,yes,yes,Ana
b,ben@example.org,+447911100002,GB,yes,yes,yes,Ben
`;
const EMAIL = `---
subject: "News for {{ first_name }}"
---
<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ first_name }}, <a href="https://shop.example/sale?x=1&amp;y=2">the sale</a>
<a href="https://shop.example/p/{{ external_id }}">your pick</a>
<a href="mailto:hi@shop.example">mail us</a>
<a href="https://shop.example/raw" data-mkt-track="off">raw</a></mj-text>
<mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>
`;
const SENT_AT = '2026-03-02T10:00:00.000Z';
const LATER = '2026-03-02T12:00:00.000Z';

let ws: ComplianceWorkspace;
let serve: ServeProcess;

const emlOf = (campaign: string, to: string) => {
  const dir = path.join(ws.dir, '.mkt', 'outbox', campaign);
  return readdirSync(dir)
    .map((f) => readFileSync(path.join(dir, f), 'utf8'))
    .find((t) => t.includes(`To: ${to}`))!;
};
/** The tracked URLs of a message, from its quoted-printable HTML part decoded. */
const trackedIn = (eml: string) => {
  const body = eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
  return [...new Set([...body.matchAll(/https:\/\/t\.shop\.example\/c\/[A-Za-z0-9_.-]+/g)].map((m) => m[0]))];
};
const local = (url: string) => serve.base + new URL(url).pathname;
const get = (url: string, init: RequestInit = {}) => fetch(local(url), { redirect: 'manual', ...init });
const hourly = (campaign: string) =>
  ws.query<{ link_id: number; kind: string; machine: number; count: number; unique_count: number }>(
    `SELECT link_id, kind, machine, sum(count) AS count, sum(unique_count) AS unique_count FROM engagement_hourly h JOIN campaigns c ON c.id = h.campaign_id
     WHERE c.name = ? GROUP BY link_id, kind, machine ORDER BY kind, link_id, machine`,
    campaign,
  );
const waitFor = async (check: () => boolean) => {
  for (let i = 0; i < 100 && !check(); i++) await new Promise((r) => setTimeout(r, 50));
};

beforeAll(async () => {
  ws = complianceWorkspace({
    customers: CUSTOMERS,
    mktYaml: UNSUBSCRIBE_YAML + `tracking:\n  base_url: https://t.shop.example\n  utm: { source: mkt, medium: "{{ channel }}", campaign: "{{ campaign.name }}" }\n  bot_click_window: 30\n`,
  });
  ws.write('templates/email/news.mjml', EMAIL);
  ws.write('templates/sms/link.txt', 'Northwind: {{ first_name }}, the spring sale is on. Everything you saved is 30% off: https://shop.example/collections/spring-sale/landing-page?ref=sms-blast&campaign=spring-2026-week-one today\n');
  ws.write('templates/email/two.mjml', '---\nsubject: "Two"\n---\n<mjml><mj-body><mj-section><mj-column><mj-text><a href="https://shop.example/one">one</a> <a href="https://shop.example/two">two</a></mj-text>\n<mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text></mj-column></mj-section></mj-body></mjml>\n');
  ws.write('campaigns/sweep.yaml', 'channel: email\nsegment: all-email\nprovider: outbox\ntemplate: two\ntracking: { individual: true }\n');
  ws.write('campaigns/solo.yaml', 'channel: email\nsegment: all-email\nprovider: outbox\ntemplate: news\ntracking: { individual: true, opens: true }\n');
  const env = { MKT_NOW: SENT_AT };
  for (const args of [
    ['campaign', 'create', '--name', 'news', '--channel', 'email', '--segment', 'all-email', '--provider', 'outbox', '--template', 'news'],
    ['campaign', 'create', '--file', 'campaigns/solo.yaml'],
    ['campaign', 'prepare', 'news'],
    ['campaign', 'prepare', 'solo'],
    ['campaign', 'send', 'news', '--yes'],
    ['campaign', 'send', 'solo', '--yes'],
    ['campaign', 'create', '--file', 'campaigns/sweep.yaml'],
    ['campaign', 'prepare', 'sweep'],
    ['campaign', 'send', 'sweep', '--yes'],
    ['campaign', 'create', '--name', 'texts', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'link'],
    ['campaign', 'prepare', 'texts'],
    ['campaign', 'send', 'texts', '--yes'],
  ]) {
    const r = ws.cli(args, env);
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
  }
  serve = await startServe(ws.dir, { ...ws.env, MKT_NOW: LATER });
}, 120_000);

afterAll(async () => {
  await serve?.stop();
  ws?.cleanup();
});

describe('links in a sent email', () => {
  it('are tracked, with UTM added, except mailto, unsubscribe and data-mkt-track="off" (the attribute is stripped)', () => {
    const eml = emlOf('news', 'ana@example.org');
    expect(trackedIn(eml)).toHaveLength(2);
    expect(eml).toContain('mailto:hi@shop.example');
    expect(eml).toContain('https://shop.example/raw');
    expect(eml).not.toContain('data-mkt-track');
    expect(eml).toMatch(/https:\/\/mkt\.example\.com\/u\//);
    expect(eml).not.toContain('https://shop.example/sale');
    const links = ws.query<{ link_id: number; url: string; kind: string }>(`SELECT link_id, url, kind FROM campaign_links l JOIN campaigns c ON c.id = l.campaign_id WHERE c.name = 'news' ORDER BY link_id`);
    expect(links).toEqual([
      { link_id: 1, url: 'https://shop.example/sale?x=1&y=2&utm_source=mkt&utm_medium=email&utm_campaign=news', kind: 'link' },
      { link_id: 2, url: 'https://shop.example/p/a?utm_source=mkt&utm_medium=email&utm_campaign=news', kind: 'link' },
      { link_id: 3, url: 'https://shop.example/p/b?utm_source=mkt&utm_medium=email&utm_campaign=news', kind: 'link' },
    ]);
  });
});

describe('mkt serve /c/', () => {
  it('302s a genuine token to its recorded destination, HEAD included', async () => {
    const [sale] = trackedIn(emlOf('news', 'ana@example.org'));
    const r = await get(sale!);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('https://shop.example/sale?x=1&y=2&utm_source=mkt&utm_medium=email&utm_campaign=news');
    const head = await get(sale!, { method: 'HEAD' });
    expect(head.status).toBe(302);
  });

  it('answers forged, tampered or truncated tokens with 404 and never a Location', async () => {
    const [sale] = trackedIn(emlOf('news', 'ana@example.org'));
    const token = sale!.split('/c/')[1]!;
    const [payload, mac] = token.split('.') as [string, string];
    const other = Buffer.from(Buffer.from(payload, 'base64url').toString().replace(/\.1$/, '.9')).toString('base64url');
    for (const bad of [`${payload}.${'A'.repeat(mac.length)}`, `${other}.${mac}`, `${token}x`, payload, 'x', `${payload.slice(0, -2)}.${mac}`]) {
      const r = await fetch(`${serve.base}/c/${bad}`, { redirect: 'manual' });
      expect(r.status, bad).toBe(404);
      expect(r.headers.get('location')).toBeNull();
    }
    expect((await fetch(`${serve.base}/s/1.1.1.AAAAAAAA`, { redirect: 'manual' })).status).toBe(404);
    expect((await fetch(`${serve.base}/o/${payload}.${'A'.repeat(mac.length)}.gif`)).status).toBe(404);
  });

  it('counts in aggregate mode without events: GET human, HEAD machine, a second click not unique', async () => {
    const [sale, pick] = trackedIn(emlOf('news', 'ben@example.org'));
    await get(pick!);
    await get(pick!);
    await waitFor(() => hourly('news').some((r) => r.link_id === 2 || r.link_id === 3));
    await waitFor(() => hourly('news').filter((r) => r.kind === 'click' && r.link_id === 0 && r.machine === 0).some((r) => r.count >= 3));
    const rows = hourly('news');
    const click = (link: number, machine: number) => rows.find((r) => r.kind === 'click' && r.link_id === link && r.machine === machine);
    // ana: one GET (human) + one HEAD (machine) on the sale link; ben: two GETs on his pick
    expect(click(1, 0)).toMatchObject({ count: 1, unique_count: 1 });
    expect(click(1, 1)).toMatchObject({ count: 1, unique_count: 1 });
    expect(click(3, 0)).toMatchObject({ count: 2, unique_count: 1 });
    expect(click(0, 0)).toMatchObject({ count: 3, unique_count: 2 });
    expect(rows.find((r) => r.kind === 'open' && r.machine === 0)).toMatchObject({ count: 0, unique_count: 2 });
    expect(sale).toBeDefined();
    expect(ws.query('SELECT * FROM engagement_events e JOIN campaigns c ON c.id = e.campaign_id WHERE c.name = ?', 'news')).toEqual([]);
  });

  it('keeps per-recipient events for a campaign with individual: true', async () => {
    const [sale] = trackedIn(emlOf('solo', 'ana@example.org'));
    expect((await get(sale!)).status).toBe(302);
    await waitFor(() => ws.query('SELECT 1 FROM engagement_events').length > 0);
    const events = ws.query<{ kind: string; link_id: number; machine: number; source: string; customer_id: number }>('SELECT kind, link_id, machine, source, customer_id FROM engagement_events');
    expect(events).toEqual([{ kind: 'click', link_id: 1, machine: 0, source: 'serve', customer_id: 1 }]);
    expect(hourly('solo').find((r) => r.kind === 'click' && r.link_id === 1)).toMatchObject({ count: 1, unique_count: 1, machine: 0 });
  });

  it('serves the open pixel: a GIF, an Apple Mail (MPP) fetch counted machine, a browser open human', async () => {
    const eml = emlOf('solo', 'ana@example.org');
    const body = eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
    const pixel = /https:\/\/t\.shop\.example\/o\/[A-Za-z0-9_.-]+\.gif/.exec(body)![0];
    expect(emlOf('news', 'ana@example.org')).not.toContain('/o/');
    const apple = await get(pixel, { headers: { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148' } });
    expect([apple.status, apple.headers.get('content-type'), (await apple.arrayBuffer()).byteLength]).toEqual([200, 'image/gif', 42]);
    await get(pixel, { headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36' } });
    await waitFor(() => ws.query(`SELECT 1 FROM engagement_events WHERE kind = 'open'`).length >= 2);
    expect(ws.query(`SELECT machine, reason, user_agent_class FROM engagement_events WHERE kind = 'open' ORDER BY id`)).toEqual([
      { machine: 1, reason: 'mail_proxy', user_agent_class: 'apple_mail' },
      { machine: 0, reason: null, user_agent_class: 'browser' },
    ]);
  });

  it('logs no token', () => {
    expect(serve.log()).not.toMatch(/\/c\/[A-Za-z0-9_-]{20,}/);
  });
});

describe('a click right after delivery', () => {
  it('is a machine click (mkt clock: MKT_NOW)', async () => {
    await serve.stop();
    serve = await startServe(ws.dir, { ...ws.env, MKT_NOW: '2026-03-02T10:00:05.000Z' });
    const [sale] = trackedIn(emlOf('solo', 'ben@example.org'));
    expect((await get(sale!)).status).toBe(302);
    await waitFor(() => ws.query(`SELECT 1 FROM engagement_events WHERE kind = 'click'`).length > 1);
    expect(ws.query(`SELECT machine, reason FROM engagement_events WHERE kind = 'click' ORDER BY id DESC LIMIT 1`)).toEqual([{ machine: 1, reason: 'after_delivery' }]);
  });
});

describe('SMS links', () => {
  it('template render shows the tracked message and the segments it saves', () => {
    const r = ws.cli(['template', 'render', 'link', '--customer', 'a', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.segments).toBe(2);
    expect(out.tracked.text).toMatch(/off: https:\/\/t\.shop\.example\/s\/[0-9a-z.]+[A-Za-z0-9_-]{8} today$/);
    expect(out.tracked).toMatchObject({ segments: 1, saved: 1 });
    const human = ws.cli(['template', 'render', 'link', '--customer', 'a']);
    expect(human.stdout).toContain('1 segment: 1 segment saved');
  });

  it('are sent as short links that 302 to the destination with UTM', async () => {
    const sent = readFileSync(path.join(ws.dir, '.mkt', 'outbox', 'texts', 'messages.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(sent).toHaveLength(2);
    const body = JSON.stringify(sent[0]);
    const short = /https:\/\/t\.shop\.example\/s\/[0-9a-z]+\.[0-9a-z]+\.[0-9a-z]+\.[A-Za-z0-9_-]{8}/.exec(body)![0];
    expect(body).not.toContain('shop.example/collections');
    const r = await get(short);
    expect(r.status).toBe(302);
    expect(r.headers.get('location')).toBe('https://shop.example/collections/spring-sale/landing-page?ref=sms-blast&campaign=spring-2026-week-one&utm_source=mkt&utm_medium=sms&utm_campaign=texts');
    const tampered = short.slice(0, -1) + (short.endsWith('A') ? 'B' : 'A');
    expect((await get(tampered)).status).toBe(404);
  });
});

describe('one recipient hitting every link within a second', () => {
  const clicks = () => ws.query<{ link_id: number; machine: number; reason: string | null }>(`SELECT link_id, machine, reason FROM engagement_events e JOIN campaigns c ON c.id = e.campaign_id WHERE c.name = 'sweep' ORDER BY e.id`);
  it('makes every click of the sweep machine, the first included, and a later genuine click still a unique human one', async () => {
    await serve.stop();
    serve = await startServe(ws.dir, { ...ws.env, MKT_NOW: LATER });
    const [one, two] = trackedIn(emlOf('sweep', 'ben@example.org'));
    expect((await get(one!)).status).toBe(302);
    expect((await get(two!)).status).toBe(302);
    await waitFor(() => clicks().length >= 2);
    expect(clicks()).toEqual([
      { link_id: 1, machine: 1, reason: 'all_links' },
      { link_id: 2, machine: 1, reason: 'all_links' },
    ]);
    await serve.stop();
    serve = await startServe(ws.dir, { ...ws.env, MKT_NOW: '2026-03-02T13:00:00.000Z' });
    await get(one!);
    await waitFor(() => clicks().length >= 3);
    expect(clicks()[2]).toEqual({ link_id: 1, machine: 0, reason: null });
    expect(hourly('sweep')).toEqual([
      { link_id: 0, kind: 'click', machine: 0, count: 1, unique_count: 1 },
      { link_id: 0, kind: 'click', machine: 1, count: 2, unique_count: 1 },
      { link_id: 1, kind: 'click', machine: 0, count: 1, unique_count: 1 },
      { link_id: 1, kind: 'click', machine: 1, count: 1, unique_count: 1 },
      { link_id: 2, kind: 'click', machine: 1, count: 1, unique_count: 1 },
      { link_id: 0, kind: 'open', machine: 0, count: 0, unique_count: 1 },
    ]);
  });
});
