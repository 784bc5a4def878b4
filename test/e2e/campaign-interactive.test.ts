import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { scriptedPrompter } from '../support/prompter.js';
import { bufferIo } from '../support/buffer-io.mjs';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';

let ws: SmsWorkspace | undefined;
afterEach(() => ws?.cleanup());

describe('campaign create on a terminal', () => {
  it('asks for missing flags with choices that agree with the channel', async () => {
    ws = smsWorkspace(3, { extraProviders: '  - name: mail\n    type: outbox\n    channel: email\n    senders: [ "a@example.com" ]' });
    const prompter = scriptedPrompter(['flash', 'sms', 'outbox-sms', 'hello', 'all-sms']);
    const io = bufferIo({}, true);
    const code = await main(['node', 'mkt', 'campaign', 'create', '--json'], io, { prompter, cwd: ws.dir });
    expect(io.err()).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(io.out())).toMatchObject({ name: 'flash', channel: 'sms', provider: 'outbox-sms', template: 'hello', segment: 'all-sms', state: 'draft' });
    expect(prompter.asked).toEqual([expect.stringContaining('name'), 'Channel', 'Provider', 'Template', 'Segment']);
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
