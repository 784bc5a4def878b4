import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { scriptedPrompter } from '../support/prompter.js';
import { bufferIo } from '../support/buffer-io.mjs';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';
import { pgTestDatabase } from '../support/pg.js';

const pgDb = await pgTestDatabase('e2e_interactive');
afterAll(async () => {
  await pgDb?.drop();
});

let ws: SmsWorkspace | undefined;
afterEach(() => ws?.cleanup());

describe('campaign create on a terminal', () => {
  it('asks for missing flags with choices that agree with the channel, then schedule, throttle and distribution; teaches the command line and the YAML', async () => {
    ws = smsWorkspace(3, { extraProviders: '  - name: mail\n    type: outbox\n    channel: email\n    senders: [ "a@example.com" ]' });
    writeFileSync(path.join(ws.dir, 'segments', 'all-email.yaml'), 'where:\n  all:\n    - email_opt_in: true\n    - email: { exists: true }\n');
    writeFileSync(path.join(ws.dir, 'segments', 'germany.yaml'), 'description: customers in Germany\nwhere:\n  country: DE\n');
    const prompter = scriptedPrompter(['flash', 'sms', 'outbox-sms', 'hello', 'all-sms', '2026-06-02T09:00:00+02:00', '5/s', 'sticky']);
    const io = bufferIo({ MKT_NOW: '2026-06-01T12:00:00Z' }, true);
    const code = await main(['node', 'mkt', 'campaign', 'create', '--json'], io, { prompter, cwd: ws.dir });
    expect(code, io.err()).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ name: 'flash', channel: 'sms', provider: 'outbox-sms', template: 'hello', segment: 'all-sms', state: 'draft', throttle: '5/s', distribution: 'sticky', schedule: '2026-06-02T07:00:00.000Z' });
    expect(prompter.asked).toEqual([expect.stringContaining('name'), 'Channel', 'Provider', 'Template', 'Segment', expect.stringMatching(/^Schedule/), expect.stringMatching(/^Throttle/), 'Distribution over the senders']);
    // only the segments that fit SMS (not the email one), each with its live size
    expect(prompter.offered.Segment).toEqual(['all-sms (3 now) — everyone with SMS consent', 'germany (3 now) — customers in Germany']);
    expect(prompter.offered.Provider).toEqual([expect.stringMatching(/^outbox-sms /)]);
    const cmd = 'mkt campaign create --name flash --channel sms --segment all-sms --provider outbox-sms --template hello --schedule 2026-06-02T09:00:00+02:00 --throttle 5/s --distribution sticky';
    expect(io.err()).toContain(`the same without questions:\n  ${cmd}\n`);
    const yaml = 'channel: sms\nsegment: all-sms\nprovider: outbox-sms\ntemplate: hello\nschedule: 2026-06-02T09:00:00+02:00\nthrottle: 5/s\ndistribution: sticky';
    expect(io.err()).toContain(`campaigns/flash.yaml (then \`mkt campaign apply\`):\n${yaml.replace(/^/gm, '  ')}`);
    // the YAML it prints is a campaign file apply takes as it is: no change
    mkdirSync(path.join(ws.dir, 'campaigns'));
    writeFileSync(path.join(ws.dir, 'campaigns', 'flash.yaml'), yaml + '\n');
    expect(ws.cli(['campaign', 'apply'], { MKT_NOW: '2026-06-01T12:00:00Z' }).stdout).toBe('flash: no change\n');
  });

  it.skipIf(!pgDb)('on PostgreSQL the segments offered show their live sizes too', async () => {
    ws = smsWorkspace(3);
    writeFileSync(path.join(ws.dir, 'segments', 'germany.yaml'), 'description: customers in Germany\nwhere:\n  country: DE\n');
    expect(ws.cli(['db', 'copy', '.mkt/mkt.db', pgDb!.url, '--replace', '--yes']).code).toBe(0);
    const prompter = scriptedPrompter(['flash', 'sms', 'outbox-sms', 'hello', 'all-sms', '', '', 'sticky']);
    const io = bufferIo({ MKT_NOW: '2026-06-01T12:00:00Z', MKT_DB: pgDb!.url }, true);
    const code = await main(['node', 'mkt', 'campaign', 'create', '--json'], io, { prompter, cwd: ws.dir });
    expect(code, io.err()).toBe(0);
    expect(prompter.offered.Segment).toEqual(['all-sms (3 now) — everyone with SMS consent', 'germany (3 now) — customers in Germany']);
  });

  it('refuses a schedule in the past when asked for one', async () => {
    ws = smsWorkspace(1);
    const prompter = scriptedPrompter(['late', 'sms', 'outbox-sms', 'hello', 'all-sms', '2026-05-01T00:00:00Z']);
    const io = bufferIo({ MKT_NOW: '2026-06-01T12:00:00Z' }, true);
    // the scripted prompter fails the run when the question's own check rejects its answer
    await main(['node', 'mkt', 'campaign', 'create'], io, { prompter, cwd: ws.dir });
    expect(io.err()).toMatch(/rejected: schedule 2026-05-01T00:00:00Z is in the past \(now 2026-06-01T12:00/);
    expect(ws.query('SELECT name FROM campaigns')).toEqual([]);
  });

  it('confirms before sending on a terminal; declining sends nothing', async () => {
    ws = smsWorkspace(4);
    ws.cli(['campaign', 'create', '--name', 's', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']);
    ws.cli(['campaign', 'prepare', 's']);
    const prompter = scriptedPrompter([false]);
    const io = bufferIo({}, true);
    const code = await main(['node', 'mkt', 'campaign', 'send', 's'], io, { prompter, cwd: ws.dir });
    expect(code).toBe(64);
    expect(prompter.asked[0]).toMatch(/Send "s" \(sms\) to 4 recipient\(s\) through outbox-sms/);
    expect(ws.states()).toEqual({ pending: 4 });
  });
});
