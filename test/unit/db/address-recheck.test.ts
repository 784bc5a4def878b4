/**
 * A database written before the canonical address rule is brought to it once, on open:
 * customers, suppressions and pending ledger rows, so prepare and the claim-time suppression
 * check compare like with like, and a number the rule refuses is no longer sent to.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { classifyAudience } from '../../../src/db/audience-sql.js';
import { recheckStoredAddresses } from '../../../src/customers/recheck.js';
import { openStore } from '../../../src/db/open.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-recheck-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('stored addresses follow the canonical rule', () => {
  it('rewrites, clears and skips once, then leaves the database alone', () => {
    const file = path.join(dir, 'legacy.db');
    const legacy = openStore(file);
    const q = legacy.sqlite;
    const ins = q.prepare('INSERT INTO customers (email, phone, email_opt_in, sms_opt_in, created_at, updated_at) VALUES (?, ?, 1, 1, 0, 0)');
    ins.run('bob@bücher.example', '+4912345'); // U-label; a possible-but-invalid number
    ins.run('ann@bu\u0308cher.example', '+4915123456789'); // decomposed
    ins.run('ana\u0001@example.com', null); // a control character
    ins.run('plain@example.com', null);
    q.prepare(`INSERT INTO suppressions (channel, address, reason, created_at) VALUES ('email', 'bob@xn--bcher-kva.example', 'bounced', 0), ('email', 'ann@bu\u0308cher.example', 'manual', 0), ('sms', '+4912345', 'manual', 0)`).run();
    q.prepare(`INSERT INTO campaigns (id, name, channel, segment, provider, template, created_at, updated_at) VALUES (1, 'c', 'email', 's', 'p', 't', 0, 0), (2, 's', 'sms', 's', 'p', 't', 0, 0)`).run();
    q.prepare(
      `INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, updated_at) VALUES
         (1, 1, 'bob@bücher.example', 'pending', 0), (1, 3, 'ana\u0001@example.com', 'pending', 0), (1, 4, 'plain@example.com', 'sent', 0),
         (2, 1, '+4912345', 'pending', 0), (2, 2, '+4915123456789', 'pending', 0)`,
    ).run();
    q.pragma('user_version = 0'); // as a database from before the rule
    legacy.close();

    const store = openStore(file, 'write', { recheck: recheckStoredAddresses });
    try {
      const s = store.sqlite;
      expect(s.prepare('SELECT email, phone FROM customers ORDER BY id').all()).toEqual([
        { email: 'bob@xn--bcher-kva.example', phone: null },
        { email: 'ann@xn--bcher-kva.example', phone: '+4915123456789' },
        { email: null, phone: null },
        { email: 'plain@example.com', phone: null },
      ]);
      expect(s.prepare('SELECT channel, address, reason FROM suppressions ORDER BY id').all()).toEqual([
        { channel: 'email', address: 'bob@xn--bcher-kva.example', reason: 'bounced' },
        { channel: 'email', address: 'ann@xn--bcher-kva.example', reason: 'manual' },
        { channel: 'sms', address: '+4912345', reason: 'manual' }, // an opt-out is never dropped
      ]);
      expect(s.prepare('SELECT address, state FROM campaign_recipients ORDER BY id').all()).toEqual([
        { address: 'bob@xn--bcher-kva.example', state: 'pending' },
        { address: 'ana\u0001@example.com', state: 'skipped' },
        { address: 'plain@example.com', state: 'sent' },
        { address: '+4912345', state: 'skipped' },
        { address: '+4915123456789', state: 'pending' },
      ]);
      // the suppressions now match the customers they were written for
      classifyAudience(s, 'email', { text: '1', params: [] });
      expect((s.prepare('SELECT status FROM mkt_audience ORDER BY customer_id').all() as Array<{ status: string }>).map((r) => r.status)).toEqual([
        'suppressed',
        'suppressed',
        'invalid_address',
        'ok',
      ]);
      // once: a value written afterwards (by hand) is not rewritten on the next open
      s.prepare(`UPDATE customers SET email = 'x@bücher.example' WHERE id = 4`).run();
    } finally {
      store.close();
    }
    const again = openStore(file, 'write', { recheck: recheckStoredAddresses });
    try {
      expect(again.sqlite.prepare('SELECT email FROM customers WHERE id = 4').get()).toEqual({ email: 'x@bücher.example' });
    } finally {
      again.close();
    }
  });
});
