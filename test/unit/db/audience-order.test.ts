/**
 * The frozen send list is in customer order whatever the addresses are: rows are claimed in
 * ledger order, and walking customers (and the (customer_id, sent_at) index) in order is what
 * keeps a send's writes to a few pages per batch. Deduplication still keeps one row per address,
 * for its lowest customer id, and a refresh appends newcomers in customer order too.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { classifyAudience, freezeAudience, refreshAudience } from '../../../src/db/audience-sql.js';
import { openStore } from '../../../src/db/open.js';

function storeWith(emails: string[]) {
  const store = openStore(':memory:');
  const ins = store.sqlite.prepare('INSERT INTO customers (email, email_opt_in, created_at, updated_at) VALUES (?, 1, 0, 0)');
  for (const e of emails) ins.run(e);
  store.sqlite.prepare(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (1, 'c', 'email', 's', 'p', 't', 0, 0)`).run();
  return store;
}

const ledger = (store: ReturnType<typeof openStore>) =>
  store.sqlite.prepare('SELECT customer_id AS c, address AS a FROM campaign_recipients WHERE campaign_id = 1 ORDER BY id').all() as Array<{ c: number; a: string }>;

describe('frozen list order', () => {
  it('is customer order, one row per address with its lowest customer id, for any addresses', () => {
    const local = fc.stringMatching(/^[a-z]{1,6}$/);
    fc.assert(
      fc.property(fc.array(local, { minLength: 1, maxLength: 40 }), (names) => {
        const emails = names.map((n) => `${n}@order.example`);
        const store = storeWith(emails);
        try {
          classifyAudience(store.sqlite, 'email', { text: '1', params: [] });
          freezeAudience(store.sqlite, 1, 0);
          const rows = ledger(store);
          // what it must be: each address once, at its first customer, in customer order
          const expected = [...new Set(emails)].map((a) => ({ c: emails.indexOf(a) + 1, a }));
          expect(rows).toEqual(expected);
        } finally {
          store.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('a refresh appends newcomers in customer order', () => {
    const store = storeWith(['zed@order.example', 'amy@order.example']);
    try {
      classifyAudience(store.sqlite, 'email', { text: '1', params: [] });
      freezeAudience(store.sqlite, 1, 0);
      const ins = store.sqlite.prepare('INSERT INTO customers (email, email_opt_in, created_at, updated_at) VALUES (?, 1, 0, 0)');
      for (const e of ['yan@order.example', 'bob@order.example', 'amy@order.example']) ins.run(e);
      classifyAudience(store.sqlite, 'email', { text: '1', params: [] });
      expect(refreshAudience(store.sqlite, 1, 0)).toBe(2);
      expect(ledger(store).map((r) => r.a)).toEqual(['zed@order.example', 'amy@order.example', 'yan@order.example', 'bob@order.example']);
    } finally {
      store.close();
    }
  });
});
