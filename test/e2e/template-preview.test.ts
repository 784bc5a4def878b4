/**
 * `template preview` through the built CLI: the page is written privately to .mkt/preview/,
 * the inbox view (From, subject, preheader, size against Gmail's 102 KB clip; SMS encoding,
 * segments and the characters that forced UCS-2) is printed, and --open hands the page to the
 * opener (MKT_PREVIEW_OPENER here: a script that records its argument, never a browser).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli, tempWorkspace } from '../support/cli.js';

let ws: ReturnType<typeof tempWorkspace> | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

function workspace(files: Record<string, string> = {}) {
  ws = tempWorkspace(true);
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(ws.dir, f)), { recursive: true });
    writeFileSync(path.join(ws.dir, f), text);
  }
  const w = ws;
  return { ...w, cli: (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { cwd: w.dir, env }) };
}

describe('template preview', { timeout: 60_000 }, () => {
  it('writes the email page 0600 under .mkt/preview/ and prints From, subject, preheader and size; creates no database', () => {
    const w = workspace();
    const r = w.cli(['template', 'preview', 'spring-sale']);
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(w.dir, '.mkt', 'preview', 'email-spring-sale.html');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe(`written to ${file}`);
    expect(lines[1]).toBe('From: Northwind Outfitters <news@m1.acme.example>');
    expect(lines[2]).toMatch(/^Subject: .+, the Spring Sale starts now/);
    expect(lines[3]).toMatch(/^Preheader: \S/);
    expect(lines[4]).toMatch(/^Size: \d+\.\d KB of HTML \(Gmail clips above 102 KB\)$/);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    const json = JSON.parse(w.cli(['template', 'preview', 'spring-sale', '--json']).stdout);
    expect(json).toMatchObject({ file, channel: 'email', clip: { limit: 104448, clipped: false }, opened: false });
    expect(json.bytes).toBe(Buffer.byteLength(readFileSync(file, 'utf8')));
    expect(existsSync(w.db)).toBe(false);
  });

  it('an email over 102 KB is shown as clipped', () => {
    const paragraphs = ('<mj-text>' + 'lorem ipsum '.repeat(100) + '</mj-text>\n').repeat(120);
    const big = `---\nsubject: Big\npreheader: lots\n---\n<mjml><mj-body><mj-section><mj-column>\n<mj-text>Hi {{ first_name }}</mj-text>\n${paragraphs}</mj-column></mj-section></mj-body></mjml>\n`;
    const w = workspace({ 'templates/email/big.mjml': big });
    const r = w.cli(['template', 'preview', 'big', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const v = JSON.parse(r.stdout);
    expect(v.bytes).toBeGreaterThan(104448);
    expect(v.clip.clipped).toBe(true);
    expect(w.cli(['template', 'preview', 'big']).stdout).toMatch(/Size: \d+\.\d KB of HTML: over Gmail's 102 KB clip/);
  });

  it('SMS: encoding, segments and the characters that forced UCS-2', () => {
    const w = workspace({ 'templates/sms/curly.txt': 'Hi {{ first_name }}, it’s sale time 😀 today only.\n' });
    const r = w.cli(['template', 'preview', 'sms/curly', '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ channel: 'sms', encoding: 'UCS-2', segments: 1, forced_ucs2: ['U+2019 ’', 'U+1F600 😀'] });
    expect(w.cli(['template', 'preview', 'sms/curly']).stdout).toMatch(/UCS-2 · \d+ characters · 1 segment · UCS-2 because of U\+2019 ’, U\+1F600 😀\n$/);
    expect(readFileSync(path.join(w.dir, '.mkt', 'preview', 'sms-curly.html'), 'utf8')).toContain('it’s sale time 😀 today only.');
  });

  it('--open hands the page to the opener and waits for it; without --open nothing is opened', () => {
    const w = workspace();
    const record = path.join(w.dir, 'opened.txt');
    const opener = path.join(w.dir, 'opener.sh');
    writeFileSync(opener, `#!/bin/sh\nprintf '%s' "$1" > '${record}'\n`);
    chmodSync(opener, 0o755);
    expect(w.cli(['template', 'preview', 'spring-sale'], { MKT_PREVIEW_OPENER: opener }).code).toBe(0);
    expect(existsSync(record)).toBe(false);
    const r = w.cli(['template', 'preview', 'spring-sale', '--open', '--json'], { MKT_PREVIEW_OPENER: opener });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).opened).toBe(true);
    expect(readFileSync(record, 'utf8')).toBe(path.join(w.dir, '.mkt', 'preview', 'email-spring-sale.html'));
  });
});
