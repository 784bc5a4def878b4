import { describe, expect, it } from 'vitest';
import { openStore } from '../../../src/db/open.js';
import { listCustomers } from '../../../src/customers/query.js';
import { seedCustomers } from '../../../src/customers/seed.js';
import { loadTemplate, PREVIEW_EXTRAS } from '../../../src/templates/index.js';
import { ROOT } from '../../support/cli.js';

describe('the sample templates render for every seeded demo customer', () => {
  it('email, SMS and WhatsApp samples: 400 seeded customers, no render error', async () => {
    const store = openStore(':memory:');
    try {
      seedCustomers(store, { count: 400, seed: 1, now: new Date('2026-04-01T00:00:00Z') });
      const customers = listCustomers(store, 400);
      expect(customers.length).toBe(400);
      const samples = ['email/spring-sale', 'email/welcome', 'sms/flash-sale', 'whatsapp/spring_sale'];
      for (const name of samples) {
        const t = await loadTemplate(ROOT, name);
        for (const c of customers) {
          const r = t.render({ ...PREVIEW_EXTRAS, ...c });
          if (r.channel === 'sms') expect(r.segments).toBeLessThanOrEqual(3);
          if (r.channel === 'email') expect(r.html).toContain(PREVIEW_EXTRAS.unsubscribe_url);
        }
      }
    } finally {
      store.close();
    }
  });
});
