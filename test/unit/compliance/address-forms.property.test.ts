/**
 * Import, suppression and prepare agree on what an address is, through the real modules on a
 * real (in-memory) store: a customer imported in one spelling is excluded by a suppression
 * written in any other, and nothing import stores is one prepare calls `invalid_address`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { domainToUnicode } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { addSuppression } from '../../../src/compliance/suppressions.js';
import { importCustomers } from '../../../src/customers/import/index.js';
import { classifyAudience } from '../../../src/db/audience-sql.js';
import { openStore } from '../../../src/db/open.js';
import { sqliteRepositories } from '../../../src/db/sqlite-repositories.js';
import { phoneLibrary } from '../../../src/customers/address.js';
import examples from 'libphonenumber-js/examples.mobile.json';
import type { CountryCode } from 'libphonenumber-js/max';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-forms-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

async function withImported(rows: Array<Record<string, unknown>>, fn: (store: ReturnType<typeof openStore>) => void | Promise<void>) {
  const file = path.join(dir, `c${n++}.jsonl`);
  writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const store = openStore(':memory:');
  try {
    await importCustomers(store, { file, now: new Date(0) });
    await fn(store);
  } finally {
    store.close();
  }
}

const statuses = (store: ReturnType<typeof openStore>, channel: 'email' | 'sms' | 'whatsapp') => {
  classifyAudience(store.sqlite, channel, { text: '1', params: [] });
  return (store.sqlite.prepare('SELECT status FROM mkt_audience ORDER BY customer_id').all() as Array<{ status: string }>).map((r) => r.status);
};

// ß upper-cases to SS, which is another domain under IDNA2008: not a form of the same address
const upper = (s: string) => [...s].map((c) => (c === 'ß' ? c : c.toUpperCase())).join('');
const aLabel = (d: string) => new URL(`http://${d}`).hostname;

/** Spellings of one mailbox: case, composed / decomposed, U-label / A-label, padding. */
const formsOf = (local: string, domain: string): string[] => [
  `${local}@${domain}`,
  upper(`${local}@${domain}`),
  `${local}@${domain}`.normalize('NFD'),
  `${local.normalize('NFD')}@${aLabel(domain)}`,
  ` ${upper(local)}@${upper(domainToUnicode(aLabel(domain))).normalize('NFD')}\t`,
];

const mailbox = fc.record({
  local: fc.stringMatching(/^[a-zäöüéñ0-9_+-]{1,10}$/),
  domain: fc.array(fc.stringMatching(/^[a-zäöüßéçñøåæ]{1,8}$/), { minLength: 1, maxLength: 2 }).map((ls) => `${ls.join('.')}.example`),
});

describe('one address, whatever its spelling', () => {
  it('suppressing any form of an address excludes the customer imported in every other form (property)', async () => {
    await fc.assert(
      fc.asyncProperty(mailbox, fc.nat(), fc.nat(), async ({ local, domain }, i, j) => {
        const forms = formsOf(local, domain);
        const imported = forms[i % forms.length]!;
        const suppressed = forms[j % forms.length]!;
        await withImported([{ email: imported, email_opt_in: 'yes' }], async (store) => {
          const stored = statuses(store, 'email');
          fc.pre(stored.length === 1 && stored[0] === 'ok'); // generated local parts may be implausible (`.` rules)
          await addSuppression(sqliteRepositories(store).suppressions, { address: suppressed, channel: 'email' }, 0);
          expect(statuses(store, 'email')).toEqual(['suppressed']);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('suppressing any international form of a number excludes the customer imported in any form of it, national ones too (property; sms and whatsapp)', async () => {
    // valid mobile numbers (libphonenumber's own examples), each varied by its last digits
    const regions: CountryCode[] = ['DE', 'GB', 'US', 'FR', 'IN', 'BR', 'JP', 'AU', 'NG', 'MX'];
    const number = fc
      .tuple(fc.constantFrom(...regions), fc.integer({ min: 0, max: 99 }))
      .map(([region, tail]) => {
        const example = phoneLibrary().getExampleNumber(region, examples)!;
        const national = String(example.nationalNumber);
        return phoneLibrary().parsePhoneNumberFromString(national.slice(0, -2) + String(tail).padStart(2, '0'), region);
      })
      .filter((p) => p !== undefined && p.isValid());
    await fc.assert(
      fc.asyncProperty(number, fc.constantFrom<'sms' | 'whatsapp'>('sms', 'whatsapp'), fc.nat(), fc.nat(), async (p, channel, i, j) => {
        const e164 = p!.number;
        const international = [e164, p!.formatInternational(), `00${e164.slice(1)}`, p!.formatInternational().replace(/ /g, '-'), ` ${e164} `, ...(channel === 'whatsapp' ? [`whatsapp:${e164}`] : [])];
        // an import may also give the national form with its country
        const imports = [...international.map((phone) => ({ phone })), { phone: p!.formatNational(), country: p!.country }, { phone: String(p!.nationalNumber), country: p!.country }];
        const imported = imports[i % imports.length]!;
        const suppressed = international[j % international.length]!;
        await withImported([{ ...imported, sms_opt_in: 'yes', whatsapp_opt_in: 'yes' }], async (store) => {
          expect(store.sqlite.prepare('SELECT phone FROM customers').pluck().all()).toEqual([e164]);
          expect(statuses(store, channel)).toEqual(['ok']);
          await addSuppression(sqliteRepositories(store).suppressions, { address: suppressed, channel }, 0);
          expect(statuses(store, channel)).toEqual(['suppressed']);
        });
      }),
      { numRuns: 60 },
    );
  });

  it('the repro: suppress add bob@xn--bcher-kva.example excludes bob@bücher.example', async () => {
    await withImported([{ email: 'bob@bücher.example', email_opt_in: 'yes' }, { email: 'ann@bu\u0308cher.example', email_opt_in: 'yes' }], async (store) => {
      await addSuppression(sqliteRepositories(store).suppressions, { address: 'bob@xn--bcher-kva.example', channel: 'email' }, 0);
      await addSuppression(sqliteRepositories(store).suppressions, { address: 'ANN@BÜCHER.EXAMPLE', channel: 'email' }, 0);
      expect(statuses(store, 'email')).toEqual(['suppressed', 'suppressed']);
    });
  });

  it('import drops a control-character address, a possible-but-invalid number and an extension, each with a warning naming the line', async () => {
    const file = path.join(dir, 'warn.jsonl');
    const rows = [
      { external_id: 'a', email: 'ana\u0001@example.com' },
      { external_id: 'b', phone: '12345', country: 'DE' },
      { external_id: 'c', phone: '+44 20 7183 8750 ext. 12' },
      { external_id: 'd', email: 'bob@bücher.example', phone: '0151 23456789', country: 'DE' },
    ];
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const store = openStore(':memory:');
    try {
      const r = await importCustomers(store, { file, now: new Date(0) });
      expect(r.warning_samples).toEqual([
        { line: 1, reason: 'invalid email "ana\\u0001@example.com" (contains U+0001, a control character): value dropped' },
        { line: 2, reason: 'invalid phone "12345" (possible but not a valid number for DE (no such range is assigned)): value dropped' },
        { line: 3, reason: expect.stringMatching(/^invalid phone "\+44 20 7183 8750 ext\. 12" \(has an extension \(12\)/) },
      ]);
      expect(store.sqlite.prepare('SELECT email, phone FROM customers ORDER BY id').all()).toEqual([
        { email: null, phone: null },
        { email: null, phone: null },
        { email: null, phone: null },
        { email: 'bob@xn--bcher-kva.example', phone: '+4915123456789' },
      ]);
    } finally {
      store.close();
    }
  });

  it('whatever import stores, prepare never calls invalid_address (property)', async () => {
    const junk = fc.string({ unit: 'binary', maxLength: 24 });
    const email = fc.oneof(fc.emailAddress(), mailbox.map((m) => `${m.local}@${m.domain}`), fc.tuple(junk, fc.emailAddress()).map(([a, b]) => a + b));
    const phone = fc.oneof(fc.stringMatching(/^\+?[0-9 ()-]{3,18}$/), fc.constantFrom('+6834002', '+2904000', '12345', '+4915123456789', '+1 212 555 0100 x12'));
    const country = fc.constantFrom('DE', 'GB', 'US', 'NU', 'SH', 'TK', 'FR', undefined);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ email, phone, country }), { minLength: 1, maxLength: 8 }), async (rows) => {
        await withImported(
          rows.map((r, k) => ({ external_id: `x${k}`, ...r, email_opt_in: 'yes', sms_opt_in: 'yes' })),
          (store) => {
            const count = (col: string) => (store.sqlite.prepare(`SELECT count(*) AS n FROM customers WHERE ${col} IS NOT NULL`).get() as { n: number }).n;
            expect(statuses(store, 'email').filter((s) => s === 'invalid_address').length).toBe(rows.length - count('email'));
            expect(statuses(store, 'sms').filter((s) => s === 'invalid_address').length).toBe(rows.length - count('phone'));
          },
        );
      }),
      { numRuns: 80 },
    );
  });
});
