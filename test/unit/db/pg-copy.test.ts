/**
 * `db copy` keeps every table that holds workspace state: the erased people's hashes and the
 * engagement tables arrive row for row (bytes included), a person erased on the source stays
 * out of a prepare on the target, and every table of the schema is either copied or named in
 * NOT_COPIED with its reason (a table added later must choose).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { getTableConfig } from 'drizzle-orm/pg-core';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { openRepositories } from '../../../src/db/connect.js';
import { COPIED_TABLES, copySqliteToPg, NOT_COPIED } from '../../../src/db/pg/copy.js';
import { openPgStore } from '../../../src/db/pg/open.js';
import * as pgSchema from '../../../src/db/pg/schema.js';
import { openStore } from '../../../src/db/open.js';
import { sqliteRepositories } from '../../../src/db/sqlite-repositories.js';
import { memorySource, SegmentLibrary } from '../../../src/segments/library.js';
import { pgTestDatabase } from '../../support/pg.js';

const pgDb = await pgTestDatabase('copy_tables');
const dir = mkdtempSync(path.join(tmpdir(), 'mkt-copy-'));
afterAll(async () => {
  await pgDb?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const T0 = Date.UTC(2026, 0, 1);
const STATE_TABLES = ['forgotten_addresses', 'campaign_links', 'engagement_hourly', 'engagement_events', 'engagement_keys', 'engagement_seen'];

/** Rows as comparable values: bytes as hex, numbers as numbers, in a stable order. */
const normal = (rows: Array<Record<string, unknown>>) =>
  rows
    .map((r) => JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Buffer.isBuffer(v) ? v.toString('hex') : typeof v === 'boolean' ? Number(v) : v]))))
    .sort();

describe('db copy: the tables a move must keep', () => {
  it('copies every table of the schema but the ones NOT_COPIED names, each once', () => {
    const all = Object.values(pgSchema).map((t) => getTableConfig(t as Parameters<typeof getTableConfig>[0]).name);
    expect([...COPIED_TABLES, ...Object.keys(NOT_COPIED)].sort()).toEqual([...all].sort());
    expect(COPIED_TABLES).toEqual(expect.arrayContaining(STATE_TABLES));
  });

  it.skipIf(!pgDb)('keeps forgotten addresses and the engagement tables row for row, and the erased person stays out of a prepare', async () => {
    const file = path.join(dir, 'mkt.db');
    const store = openStore(file);
    const repos = sqliteRepositories(store);
    const campaign = await repos.campaigns.create({ name: 'spring', channel: 'email', segment: 'everyone', provider: 'outbox', template: 't' }, T0);
    const { sqlite } = store;
    sqlite.prepare(`INSERT INTO customers (external_id, email, email_opt_in, attributes, created_at, updated_at) VALUES ('gone', 'gone@example.com', 1, '{}', ?, ?), ('kept', 'kept@example.com', 1, '{}', ?, ?)`).run(T0, T0, T0, T0);
    expect(await repos.forgotten.keep('email', 'gone@example.com', T0)).toBe(true);
    // what a send with tracking and `mkt serve` leave behind
    sqlite.prepare(`INSERT INTO campaign_links (campaign_id, link_id, url, kind, created_at) VALUES (?, 1, 'https://example.com/a?utm_source=mkt', 'link', ?), (?, 2, 'https://example.com/b', 'button', ?)`).run(campaign.id, T0, campaign.id, T0);
    sqlite.prepare(`INSERT INTO engagement_hourly (campaign_id, link_id, hour, kind, machine, count, unique_count) VALUES (?, 0, ?, 'click', 0, 7, 3), (?, 1, ?, 'click', 1, 2, 2)`).run(campaign.id, T0, campaign.id, T0);
    sqlite.prepare(`INSERT INTO engagement_events (campaign_id, ledger_id, customer_id, kind, link_id, machine, reason, user_agent_class, at, source) VALUES (?, 5, 2, 'click', 1, 1, 'scanner_ua', 'bot', ?, 'serve'), (?, 6, 2, 'open', 0, 0, NULL, NULL, ?, 'ses')`).run(campaign.id, T0 + 1, campaign.id, T0 + 2);
    sqlite.prepare('INSERT INTO engagement_keys (campaign_id, key, created_at) VALUES (?, ?, ?)').run(campaign.id, Buffer.from('00ff10ab'.repeat(8), 'hex'), T0);
    sqlite.prepare(`INSERT INTO engagement_seen (campaign_id, kind, link_id, machine, digest) VALUES (?, 'click', 0, 0, ?), (?, 'click', 1, 0, ?)`).run(campaign.id, Buffer.from([0, 1, 2, 255]), campaign.id, Buffer.from([9, 0, 0, 9]));
    const source = Object.fromEntries(STATE_TABLES.map((t) => [t, normal(sqlite.prepare(`SELECT * FROM ${t}`).all() as Array<Record<string, unknown>>)]));

    const target = await openPgStore(pgDb!.url, { max: 2 });
    try {
      const r = await copySqliteToPg(store, target, { sourceName: file, targetName: 'target' });
      for (const t of STATE_TABLES) expect(r.tables[t], t).toBe(source[t]!.length);
      for (const t of STATE_TABLES) expect(normal((await target.pool.query(`SELECT * FROM ${t}`)).rows), t).toEqual(source[t]);
    } finally {
      await target.close();
    }
    store.close();

    // the erased person is still erased on the target: prepare leaves them out as forgotten
    const pg = await openRepositories({ kind: 'postgres', url: pgDb!.url });
    try {
      const filter = (await new SegmentLibrary(memorySource({ s: stringify({ where: { all: [] } }) })).resolve('s'))!.filter!;
      const prepared = await pg.audience.prepare({ campaignId: campaign.id, channel: 'email', filter, now: T0, exclusions: [], refresh: false });
      expect(prepared.counts.excluded.forgotten).toBe(1);
      expect(prepared.recipients).toBe(1);
    } finally {
      await pg.close();
    }
  });
});
