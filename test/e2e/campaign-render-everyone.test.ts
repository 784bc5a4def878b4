/**
 * Pre-flight renders every recipient (issue 16, part 4): `campaign check` and `prepare` group
 * the failures by cause with a count and examples, prepare stores them with the plan, `send`
 * refuses the campaign (65) unless `--allow-render-failures N`, and `send --dry-run` groups
 * its failures the same way. Through the built CLI, against the outbox.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';

let ws: SmsWorkspace | undefined;
afterEach(() => {
  ws?.cleanup();
  ws = undefined;
});

/** 30 customers; every third has no tier, so 10 fail on one variable at one position. */
function setUp(): SmsWorkspace {
  ws = smsWorkspace(0);
  const rows = Array.from({ length: 30 }, (_, i) => `t${i},+4916${String(20000000 + i).padStart(9, '0')},DE,yes,Kim${i},${i % 3 === 0 ? '' : 'gold'}`);
  writeFileSync(path.join(ws.dir, 'tiers.csv'), ['external_id,phone,country,sms_opt_in,first_name,tier', ...rows].join('\n') + '\n');
  expect(ws.cli(['customers', 'import', 'tiers.csv']).code).toBe(0);
  writeFileSync(path.join(ws.dir, 'templates', 'sms', 'tier.txt'), 'Hi {{ first_name }}, your tier is {{ attributes.tier }}.\n');
  expect(ws.cli(['campaign', 'create', '--name', 'tiers', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'tier']).code).toBe(0);
  return ws;
}

const CAUSE = /missing variable "attributes\.tier" \(templates\/sms\/tier\.txt:1:38\): 10 recipients, e\.g\. \+4916020000000, \+4916020000003, \+4916020000006, …/;

describe('pre-flight renders everyone', { timeout: 120_000 }, () => {
  it('check groups failures by cause; prepare stores them; send refuses with 65 unless allowed; dry-run groups them', () => {
    const w = setUp();
    const check = w.cli(['campaign', 'check', 'tiers', '--json']);
    expect(check.code).toBe(0);
    const report = JSON.parse(check.stdout);
    expect(report.recipients).toBe(30);
    expect(report.rendered).toBe(20);
    expect(report.render_failures).toEqual({
      total: 10,
      other: 0,
      groups: [{ cause: 'missing variable "attributes.tier"', at: 'templates/sms/tier.txt:1:38', code: 'missing_variable', count: 10, examples: ['+4916020000000', '+4916020000003', '+4916020000006'] }],
    });
    expect(check.stderr).toMatch(CAUSE);

    const prep = w.cli(['campaign', 'prepare', 'tiers', '--json']);
    expect(prep.code).toBe(0);
    expect(prep.stderr).toMatch(CAUSE);
    expect(JSON.parse(prep.stdout).render_failures.total).toBe(10);

    const refused = w.cli(['campaign', 'send', 'tiers', '--yes']);
    expect(refused.code).toBe(65);
    expect(refused.stderr).toMatch(CAUSE);
    expect(refused.stderr).toContain('--allow-render-failures 10');
    expect(w.states('tiers')).toEqual({ pending: 30 });

    const dry = w.cli(['campaign', 'send', 'tiers', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout.match(/render failure/g)).toHaveLength(1);
    expect(dry.stdout).toMatch(CAUSE);
    const dryJson = JSON.parse(w.cli(['campaign', 'send', 'tiers', '--dry-run', '--json']).stdout);
    expect(dryJson.would_send).toBe(20);
    expect(dryJson.render_failures.groups[0].count).toBe(10);

    expect(w.cli(['campaign', 'send', 'tiers', '--yes', '--allow-render-failures', '9']).code).toBe(65);
    const sent = w.cli(['campaign', 'send', 'tiers', '--yes', '--allow-render-failures', '10']);
    expect(sent.code).toBe(0);
    expect(w.states('tiers')).toEqual({ sent: 20, failed: 10 });
  });
});
