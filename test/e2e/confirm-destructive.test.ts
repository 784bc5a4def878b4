import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { scriptedPrompter } from '../support/prompter.js';
import { bufferIo } from '../support/buffer-io.mjs';
import { smsWorkspace, type SmsWorkspace } from '../support/campaign-workspace.js';

let ws: SmsWorkspace | undefined;
afterEach(() => ws?.cleanup());

/** The destructive commands, each with a probe of the state it would change. */
const CASES: Array<{ name: string; args: string[]; before: (w: SmsWorkspace) => void; probe: (w: SmsWorkspace) => unknown }> = [
  {
    name: 'campaign cancel',
    args: ['campaign', 'cancel', 's'],
    before: (w) => {
      w.cli(['campaign', 'create', '--name', 's', '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']);
      w.cli(['campaign', 'prepare', 's']);
    },
    probe: (w) => w.query<{ state: string }>(`SELECT state FROM campaigns WHERE name = 's'`)[0]!.state,
  },
  {
    name: 'customers seed --replace',
    args: ['customers', 'seed', '--count', '2', '--replace'],
    before: () => {},
    probe: (w) => w.query<{ n: number }>('SELECT count(*) AS n FROM customers')[0]!.n,
  },
  {
    name: 'suppress remove',
    args: ['suppress', 'remove', '+4915010000000', '--channel', 'sms'],
    before: (w) => w.cli(['suppress', 'add', '+4915010000000', '--channel', 'sms']),
    probe: (w) => w.query<{ n: number }>('SELECT count(*) AS n FROM suppressions')[0]!.n,
  },
];

describe.each(CASES)('$name asks first, or needs --yes', ({ args, before, probe }) => {
  it('without a terminal and without --yes: exit 64 naming --yes, nothing changed', () => {
    ws = smsWorkspace(3);
    before(ws);
    const was = probe(ws);
    const r = ws.cli(args);
    expect(r.code).toBe(64);
    expect(r.stderr).toMatch(/needs confirmation: pass --yes/);
    expect(r.stderr).toContain('hint:');
    expect(probe(ws)).toEqual(was);
    expect(ws.cli([...args, '--yes']).code).toBe(0);
    expect(probe(ws)).not.toEqual(was);
  });

  it('on a terminal: declining changes nothing, agreeing goes ahead', async () => {
    ws = smsWorkspace(3);
    before(ws);
    const was = probe(ws);
    const no = scriptedPrompter([false]);
    expect(await main(['node', 'mkt', ...args], bufferIo({}, true), { prompter: no, cwd: ws.dir })).toBe(64);
    expect(no.asked).toHaveLength(1);
    expect(probe(ws)).toEqual(was);
    const yes = scriptedPrompter([true]);
    expect(await main(['node', 'mkt', ...args], bufferIo({}, true), { prompter: yes, cwd: ws.dir })).toBe(0);
    expect(probe(ws)).not.toEqual(was);
  });
});
