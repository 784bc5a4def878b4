/**
 * A workspace that sends tracked email (two tracked links, an open pixel, an unsubscribe link)
 * to three customers through the outbox, and the helpers to find those links in the sent mail
 * and hit them on a running `mkt serve` (test/support/serve-process.ts).
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { CliResult } from './cli.js';
import { UNSUBSCRIBE_YAML, type ComplianceWorkspace } from './compliance-workspace.js';
import type { ServeProcess } from './serve-process.js';

export const CUSTOMERS = `external_id,email,phone,country,email_opt_in,sms_opt_in,whatsapp_opt_in,first_name
a,ana@example.org,+447911100001,GB,yes,yes,yes,Ana
b,ben@example.org,+447911100002,GB,yes,yes,yes,Ben
c,cy@example.org,+447911100003,GB,yes,yes,yes,Cy
`;
/** templates/email/tracked.mjml */
export const EMAIL = `---
subject: "News for {{ first_name }}"
---
<mjml><mj-body><mj-section><mj-column>
<mj-text>Hi {{ first_name }}, <a href="https://shop.example/sale">the sale</a> <a href="https://shop.example/p/{{ external_id }}">your pick</a></mj-text>
<mj-text><a href="{{ unsubscribe_url }}">Unsubscribe</a></mj-text>
</mj-column></mj-section></mj-body></mjml>
`;
export const MKT_YAML = UNSUBSCRIBE_YAML + 'tracking:\n  base_url: https://t.shop.example\n  opens: true\n  bot_click_window: 30\n';
export const SENT_AT = '2026-03-02T10:00:00.000Z';
export const LATER = '2026-03-02T12:00:00.000Z';
/** A desktop browser: a human open or click. */
export const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36';

const decodeQp = (eml: string) => eml.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
/** The message campaign `news` sent to `to`, quoted-printable decoded. */
export const emlOf = (ws: ComplianceWorkspace, to: string) => {
  const dir = path.join(ws.dir, '.mkt', 'outbox', 'news');
  return decodeQp(readdirSync(dir).map((f) => readFileSync(path.join(dir, f), 'utf8')).find((t) => t.includes(`To: ${to}`))!);
};
export const tracked = (eml: string) => [...new Set([...eml.matchAll(/https:\/\/t\.shop\.example\/c\/[A-Za-z0-9_.-]+/g)].map((m) => m[0]))];
export const pixelUrl = (eml: string) => /https:\/\/t\.shop\.example\/o\/[A-Za-z0-9_.-]+\.gif/.exec(eml)![0];
export const unsubscribeUrl = (eml: string) => /https:\/\/mkt\.example\.com\/u\/[A-Za-z0-9_.-]+/.exec(eml)![0];
/** A public link's path on the local server. */
export const local = (serve: ServeProcess, url: string) => serve.base + new URL(url).pathname;
export const oneClick = (serve: ServeProcess, url: string) =>
  fetch(local(serve, url), { method: 'POST', body: 'List-Unsubscribe=One-Click', headers: { 'content-type': 'application/x-www-form-urlencoded' } });

/** Polls `check` every 50 ms, for at most 10 s. */
export async function waitFor(check: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Creates, prepares and sends campaign `news` (template `tracked`, at SENT_AT) through `cli`. */
export function sendNews(cli: (args: string[], env: NodeJS.ProcessEnv) => CliResult): void {
  for (const args of [
    ['campaign', 'create', '--name', 'news', '--channel', 'email', '--segment', 'all-email', '--provider', 'outbox', '--template', 'tracked'],
    ['campaign', 'prepare', 'news'],
    ['campaign', 'send', 'news', '--yes'],
  ]) {
    const r = cli(args, { MKT_NOW: SENT_AT });
    if (r.code !== 0) throw new Error(`${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  }
}
