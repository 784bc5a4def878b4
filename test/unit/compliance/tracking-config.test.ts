/**
 * mkt.yaml `tracking:`: defaults (clicks on once base_url is set, opens and individual off),
 * a campaign's override, and every problem named by file, line and field.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSettings } from '../../../src/compliance/config.js';
import { applyOverride } from '../../../src/compliance/tracking-config.js';

const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const UNSUB = 'unsubscribe:\n  base_url: https://mkt.example.com/u\n  secret: "${S}"\n';
const env = { S: 'a-secret-of-sixteen-or-more' };

function load(yaml: string) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-tracking-config-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'mkt.yaml'), yaml);
  return loadSettings(dir, { ...env });
}
const problem = (yaml: string) => load(yaml).then(() => '', (e: Error) => e.message);

describe('tracking: in mkt.yaml', () => {
  it('applies the defaults', async () => {
    const s = await load(`${UNSUB}tracking:\n  base_url: https://t.shop.example/\n`);
    expect(s.tracking).toEqual({ baseUrl: 'https://t.shop.example', clicks: true, opens: false, individual: false, utm: {}, botClickWindowMs: 10_000 });
    expect((await load(UNSUB)).tracking).toBeUndefined();
  });

  it('names file, line and field for a bad value, bad Liquid and missing signing keys', async () => {
    expect(await problem(`${UNSUB}tracking:\n  base_url: https://t.shop.example\n  opens: sometimes\n`)).toMatch(/mkt\.yaml:6:10: tracking\.opens: /);
    expect(await problem(`${UNSUB}tracking:\n  base_url: https://t.shop.example\n  utm: { medium: "{{ chanel }}" }\n`)).toMatch(/mkt\.yaml:6:18: tracking\.utm\.medium: Liquid: .*chanel/);
    expect(await problem('tracking:\n  base_url: https://t.shop.example\n')).toMatch(/mkt\.yaml:2:13: tracking\.base_url: tracked links are signed with the unsubscribe keys/);
    expect(await problem(`${UNSUB}tracking:\n  base_url: https://t.shop.example/?x=1\n`)).toMatch(/mkt\.yaml:5:13: tracking\.base_url: must be an http\(s\) URL without query or fragment/);
  });

  it('a campaign overrides all but base_url; utm: false drops the parameters', async () => {
    const s = (await load(`${UNSUB}tracking:\n  base_url: https://t.shop.example\n  utm: { source: mkt }\n`)).tracking!;
    expect(applyOverride(s, { individual: true, opens: true, utm: false, bot_click_window: 3 })).toEqual({ ...s, individual: true, opens: true, utm: {}, botClickWindowMs: 3000 });
    expect(applyOverride(s, undefined)).toBe(s);
  });
});
