/**
 * An opt-out that `mkt serve` answered 200 for but could only spool (the database was locked
 * until it stopped) must reach the suppressions before the next send claims anyone.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { serveSpoolBase, spoolFile } from '../../src/compliance/serve-spool.js';
import type { DbTarget } from '../../src/db/target.js';
import { complianceWorkspace, type ComplianceWorkspace } from '../support/compliance-workspace.js';

let ws: ComplianceWorkspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

/** A pid no process has: the spool's server is gone. */
const DEAD_PID = 4_194_303;

describe('spooled opt-outs of a stopped mkt serve', () => {
  it('are applied by the next command that writes, before a send claims anyone, and the spool is removed', () => {
    const phones = ['+447911123401', '+447911123402', '+447911123403'];
    ws = complianceWorkspace({ customers: 'external_id,phone,country,sms_opt_in,first_name\n' + phones.map((p, i) => `x${i},${p},GB,yes,P${i}`).join('\n') + '\n' });
    expect(ws.cli(['campaign', 'create', '--name', 'c', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']).code).toBe(0);
    expect(ws.cli(['campaign', 'prepare', 'c']).code).toBe(0);
    const campaignId = ws.query<{ id: number }>("SELECT id FROM campaigns WHERE name = 'c'")[0]!.id;
    const customerId = ws.query<{ id: number }>('SELECT id FROM customers WHERE phone = ?', phones[1])[0]!.id;
    // beside the SQLite file, or in the workspace for a PostgreSQL store (MKT_TEST_E2E_STORE=postgres)
    const target: DbTarget = ws.env.MKT_DB ? { kind: 'postgres', url: ws.env.MKT_DB } : { kind: 'sqlite', path: ws.db };
    const spool = spoolFile(serveSpoolBase(target, ws.db), DEAD_PID);
    const record = { t: 'unsubscribe', at: Date.parse('2026-06-01T10:00:00Z'), campaignId, customerId, channel: 'sms', ref: 'abc123' };
    // a torn last line (the crashed server never answered it) is skipped
    writeFileSync(spool, JSON.stringify(record) + '\n{"t":"unsub', { mode: 0o600 });

    const sent = ws.cli(['campaign', 'send', 'c', '--yes', '--json']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(sent.stderr).toContain('applied 1 opt-out(s) and event(s) that mkt serve had spooled');
    expect(JSON.parse(sent.stdout)).toMatchObject({ sent: 2, skipped: 1 });
    expect(ws.query('SELECT address, reason FROM suppressions')).toEqual([{ address: phones[1], reason: 'unsubscribed' }]);
    expect(ws.query("SELECT address, error_code FROM campaign_recipients WHERE state = 'skipped'")).toEqual([{ address: phones[1], error_code: 'suppressed' }]);
    expect(existsSync(spool)).toBe(false);
  });
});
