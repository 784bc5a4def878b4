/**
 * `campaign report` on PostgreSQL streams: 200,000 ledger rows are written with the CLI's V8
 * heap capped at 48 MB, which holding the rows at once does not fit (node-postgres runs out of
 * heap reading them in one result at this size). The rows come through a cursor, a page at a
 * time (src/db/pg/results.ts). A behaviour test, not a timing one.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { runCliAsync, tempWorkspace } from '../support/cli.js';
import { pgTestDatabase } from '../support/pg.js';

const pgDb = await pgTestDatabase('e2e_report_memory');
const ROWS = 200_000;

describe.skipIf(!pgDb)('campaign report on PostgreSQL in bounded memory', { timeout: 300_000 }, () => {
  const ws = tempWorkspace(true);
  afterAll(async () => {
    ws.cleanup();
    await pgDb?.drop();
  });

  it(`writes ${ROWS.toLocaleString('en')} rows with a 48 MB heap`, async () => {
    const url = pgDb!.url;
    expect((await runCliAsync(['--db', url, 'db', 'migrate'], { cwd: ws.dir })).code).toBe(0);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(`INSERT INTO campaigns (id, name, channel, segment, provider, template, state, created_at, updated_at) VALUES (1, 'big', 'email', 'all', 'outbox', 'news', 'completed', 0, 0)`);
      await client.query(
        `INSERT INTO campaign_recipients (campaign_id, customer_id, address, state, sender, provider_message_id, sent_at, updated_at)
         SELECT 1, g, 'u' || g || '@example.org', 'sent', 'news@shop.example', 'msg-' || g, 1780000000000 + g, 0 FROM generate_series(1, $1::int) g`,
        [ROWS],
      );
    } finally {
      await client.end();
    }
    const r = await runCliAsync(['--db', url, 'campaign', 'report', 'big', '--out', 'big.csv'], { cwd: ws.dir, env: { NODE_OPTIONS: '--max-old-space-size=48' } });
    expect(r.code, r.stderr).toBe(0);
    const file = path.join(ws.dir, 'big.csv');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file, 'utf8').split('\n');
    expect(lines).toHaveLength(ROWS + 2); // the header, the rows, the final newline
    expect(lines[1]).toBe(`1,1,u1@example.org,sent,news@shop.example,msg-1,0,,,${new Date(1780000000001).toISOString()},,`);
    expect(lines[ROWS]).toMatch(new RegExp(`^${ROWS},${ROWS},u${ROWS}@example.org,sent,`));
  });
});
