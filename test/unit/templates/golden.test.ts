import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTemplate, type Rendered, type TemplateVars } from '../../../src/templates/index.js';
import { ROOT } from '../../support/cli.js';

/**
 * Golden files: the repo's sample templates rendered for one fixed customer, committed under
 * test/golden/. UPDATE_GOLDEN=1 rewrites them (review the diff before committing).
 */
const GOLDEN_DIR = path.join(ROOT, 'test/golden');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const CUSTOMER: TemplateVars = {
  id: 42,
  external_id: 'NW-000042',
  email: 'lucia.alvarez@example.es',
  phone: '+34612345678',
  first_name: 'Lucía',
  last_name: 'Álvarez',
  country: 'ES',
  timezone: 'Europe/Madrid',
  locale: 'es-ES',
  lifetime_value: 310.25,
  order_count: 1,
  last_order_at: '2026-02-01T12:00:00.000Z',
  created_at: '2025-06-01T08:00:00.000Z',
  updated_at: '2026-02-01T12:00:00.000Z',
  email_opt_in: true,
  sms_opt_in: true,
  whatsapp_opt_in: true,
  attributes: { plan: 'enterprise' },
  campaign: { name: 'spring-2026', id: 7 },
  unsubscribe_url: 'https://example.com/u/c7_r42_token',
  now: '2026-04-01T09:00:00.000Z',
};

function golden(rel: string, actual: string): void {
  const file = path.join(GOLDEN_DIR, rel);
  if (UPDATE || !existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
    if (!UPDATE) throw new Error(`golden file ${rel} was missing and has been written; run again (and commit it)`);
    return;
  }
  expect(actual, `${rel} differs (UPDATE_GOLDEN=1 to accept)`).toBe(readFileSync(file, 'utf8'));
}

async function renderSample(name: string): Promise<Rendered> {
  return (await loadTemplate(ROOT, name)).render(CUSTOMER);
}

describe('golden renders of the sample templates', () => {
  it.each(['spring-sale', 'welcome'])('email/%s: HTML, subject, preheader, text part', async (name) => {
    const r = await renderSample(`email/${name}`);
    if (r.channel !== 'email') throw new Error('expected email');
    golden(`email/${name}.html`, r.html);
    const { html: _html, ...rest } = r;
    golden(`email/${name}.json`, JSON.stringify(rest, null, 2) + '\n');
  });

  it('sms/flash-sale: text, encoding and segments', async () => {
    const r = await renderSample('sms/flash-sale');
    golden('sms/flash-sale.json', JSON.stringify(r, null, 2) + '\n');
    // the golden customer's "í" makes it UCS-2: 3 segments, within the default max_segments
    expect(r).toMatchObject({ encoding: 'UCS-2', segments: 3 });
  });

  it('whatsapp/spring_sale: Meta and Twilio payloads', async () => {
    const r = await renderSample('whatsapp/spring_sale');
    golden('whatsapp/spring_sale.json', JSON.stringify(r, null, 2) + '\n');
  });
});
