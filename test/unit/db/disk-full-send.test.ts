import { afterEach, describe, expect, it } from 'vitest';
import { sendCampaign } from '../../../src/campaigns/send.js';
import { openStore, type Store } from '../../../src/db/open.js';
import { sqliteRepositories } from '../../../src/db/sqlite-repositories.js';
import { exitCodeFor } from '../../../src/output/exit-codes.js';
import { smsWorkspace, type SmsWorkspace } from '../../support/campaign-workspace.js';

let ws: SmsWorkspace | undefined;
let store: Store | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
  ws?.cleanup();
  ws = undefined;
});

describe('disk full during a send', { timeout: 120_000 }, () => {
  it('SQLITE_FULL for real (max_page_count): the send returns its summary, exit 74, campaign paused with reason disk_full, not stuck in sending', async () => {
    ws = smsWorkspace(400);
    expect(ws.cli(['campaign', 'create', '--name', 'c', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']).code).toBe(0);
    expect(ws.cli(['campaign', 'prepare', 'c']).code).toBe(0);
    store = openStore(ws.db);
    // the database may not grow by one more page: every ledger write that needs a page fails
    // exactly as on a full disk (SQLite reports both as SQLITE_FULL)
    const pages = store.sqlite.pragma('page_count', { simple: true }) as number;
    store.sqlite.pragma(`max_page_count = ${pages}`);
    const { summary, error } = await sendCampaign({ repos: sqliteRepositories(store), store, workspace: ws.dir, env: ws.env, now: Date.now }, 'c', { graceMs: 0 });
    expect(error?.code).toBe('disk_full');
    expect(exitCodeFor(error)).toBe(74);
    expect(summary.state).toBe('paused');
    const row = store.sqlite.prepare("SELECT state, pause_reason AS reason FROM campaigns WHERE name = 'c'").get() as { state: string; reason: string };
    expect(row.state).toBe('paused');
    expect(row.reason).toMatch(/^disk_full/);
  });
});
