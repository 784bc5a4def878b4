/**
 * Messages show text from files escaped: an import warning or reject for an address holding a
 * zero-width, bidi, DEL or C1 character shows it as `\uXXXX`, as it does a C0 control (they
 * were printed raw, so the message showed a different-looking address than the one refused).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { importCustomers } from '../../../src/customers/import/index.js';
import { openStore } from '../../../src/db/open.js';
import { INVISIBLE, quoted } from '../../../src/util/printable.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-printable-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('quoted', () => {
  it('holds no invisible character and reads back as the original (property)', () => {
    const invisible = fc.constantFrom('\u0000', '\u0009', '\u001b', '\u007f', '\u0085', '\u009f', '\u00ad', '\u200b', '\u200d', '\u200e', '\u202e', '\u2066', '\u2028', '\u2029', '\ufeff', '\u{e0001}');
    const text = fc.array(fc.oneof(fc.string({ unit: 'grapheme', maxLength: 4 }), invisible), { maxLength: 12 }).map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(text, fc.string({ unit: 'binary', maxLength: 30 })), (s) => {
        const q = quoted(s);
        expect(INVISIBLE.test(q)).toBe(false);
        expect(JSON.parse(q)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('import warnings show zero-width, bidi, DEL and C1 characters escaped, like C0 (were raw)', async () => {
    const file = path.join(dir, 'c.jsonl');
    const emails = ['ana\u0001@example.com', 'ben\u200b@example.com', 'cy\u202e@example.com', 'di\u007f@example.com', 'ed\u0085@example.com'];
    writeFileSync(file, emails.map((email, i) => JSON.stringify({ external_id: `x${i}`, email })).join('\n') + '\n');
    const store = openStore(':memory:');
    try {
      const r = await importCustomers(store, { file, now: new Date(0) });
      const reasons = r.warning_samples.map((w) => w.reason);
      expect(reasons.map((m) => /^invalid email ("[^"]*")/.exec(m)?.[1])).toEqual(['"ana\\u0001@example.com"', '"ben\\u200b@example.com"', '"cy\\u202e@example.com"', '"di\\u007f@example.com"', '"ed\\u0085@example.com"']);
      for (const m of reasons) expect(INVISIBLE.test(m), m).toBe(false);
    } finally {
      store.close();
    }
  });
});
