/**
 * The `send --due` loop through its seam: the caller passes how one campaign is sent, so the
 * loop's own rules are seen directly: drafts are prepared on the fly, a typed failure of one
 * campaign is recorded and the next still runs, anything else stops the run, and an abort
 * starts no further campaign. The store, workspace and prepare are the real ones.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { sendDue } from '../../../src/campaigns/send-due.js';
import type { SendSummary } from '../../../src/campaigns/send.js';
import { openStore, type Store } from '../../../src/db/open.js';
import { sqliteRepositories } from '../../../src/db/sqlite-repositories.js';
import { UnavailableError } from '../../../src/errors.js';
import { smsWorkspace, type SmsWorkspace } from '../../support/campaign-workspace.js';

let ws: SmsWorkspace | undefined;
let store: Store | undefined;
afterEach(() => {
  store?.close();
  store = undefined;
  ws?.cleanup();
  ws = undefined;
});

const summary = (campaign: string) => ({ campaign, stop: 'done' }) as unknown as SendSummary;

function setUp(names: string[], prepared: string[]) {
  ws = smsWorkspace(5);
  for (const n of names) expect(ws.cli(['campaign', 'create', '--name', n, '--channel', 'sms', '--segment', 'all-sms', '--provider', 'outbox-sms', '--template', 'hello']).code).toBe(0);
  for (const n of prepared) expect(ws.cli(['campaign', 'prepare', n]).code).toBe(0);
  store = openStore(ws.db);
  return { repos: sqliteRepositories(store), store, workspace: ws.dir, env: ws.env, now: Date.now };
}

const stateOf = (name: string) => ws!.query<{ state: string }>('SELECT state FROM campaigns WHERE name = ?', name)[0]!.state;

describe('sendDue', { timeout: 120_000 }, () => {
  it('prepares drafts on the fly, records a typed failure and goes on to the next campaign', async () => {
    const deps = setUp(['a', 'b', 'c'], ['b']);
    const sent: string[] = [];
    const prepared: Array<[string, number]> = [];
    const fatal = new UnavailableError('provider_fatal', 'refused');
    const runs = await sendDue(deps, ['a', 'b', 'c'], {
      onPrepared: (n, plan) => prepared.push([n, plan.recipients]),
      send: async (n) => {
        sent.push(n);
        return n === 'b' ? { summary: summary(n), error: fatal } : { summary: summary(n) };
      },
    });
    expect(sent).toEqual(['a', 'b', 'c']);
    expect(prepared).toEqual([['a', 5], ['c', 5]]);
    expect(stateOf('a')).toBe('prepared');
    expect(runs.map((r) => [r.campaign, r.error?.code])).toEqual([['a', undefined], ['b', 'provider_fatal'], ['c', undefined]]);
    expect(runs[1]!.summary?.campaign).toBe('b');
  });

  it('a thrown typed error is recorded without a summary; an untyped one (a bug) stops the run', async () => {
    const deps = setUp(['a', 'b', 'c'], ['a', 'b', 'c']);
    const sent: string[] = [];
    const runs = await sendDue(deps, ['a', 'b'], {
      send: async (n) => {
        sent.push(n);
        if (n === 'a') throw new UnavailableError('provider_fatal', 'refused');
        return { summary: summary(n) };
      },
    });
    expect(runs).toEqual([{ campaign: 'a', error: expect.objectContaining({ code: 'provider_fatal' }) }, { campaign: 'b', summary: summary('b') }]);
    await expect(
      sendDue(deps, ['a', 'b', 'c'], {
        send: async (n) => {
          sent.push(n);
          if (n === 'b') throw new TypeError('bug');
          return { summary: summary(n) };
        },
      }),
    ).rejects.toThrow(TypeError);
    expect(sent).toEqual(['a', 'b', 'a', 'b']);
  });

  it('after an abort no further campaign starts (and no draft is prepared)', async () => {
    const deps = setUp(['a', 'b'], ['a']);
    const controller = new AbortController();
    const runs = await sendDue(deps, ['a', 'b'], {
      signal: controller.signal,
      send: async (n) => {
        controller.abort();
        return { summary: summary(n) };
      },
    });
    expect(runs.map((r) => r.campaign)).toEqual(['a']);
    expect(stateOf('b')).toBe('draft');
  });
});
