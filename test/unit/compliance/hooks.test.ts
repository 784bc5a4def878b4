import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadSendHooks } from '../../../src/campaigns/compliance-hooks.js';
import { tokensFor } from '../../../src/compliance/index.js';
import { loadSettings } from '../../../src/compliance/config.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-hooks-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadSendHooks', () => {
  it('without mkt.yaml: no hooks at all', async () => {
    const empty = mkdtempSync(path.join(dir, 'empty-'));
    expect(await loadSendHooks(empty, {})).toEqual({});
  });

  it('links carry a verifiable token under base_url, the mailto, and the at-least-once opt-in', async () => {
    const ws = mkdtempSync(path.join(dir, 'ws-'));
    writeFileSync(
      path.join(ws, 'mkt.yaml'),
      'unsubscribe:\n  base_url: https://u.example.com/u/\n  secret: ${S}\n  key_id: k3\n  mailto: off@example.com\ndelivery:\n  ambiguous: retry\n',
    );
    const env = { S: 'a-long-enough-secret-value-1234' };
    const hooks = await loadSendHooks(ws, env);
    expect(hooks.policy).toEqual({ ambiguous: 'retry' });
    expect(hooks.claimCheck).toBeUndefined();
    const links = hooks.unsubscribe!({ campaignId: 4, customerId: 9, channel: 'email' })!;
    expect(links.mailto).toBe('off@example.com');
    const m = /^https:\/\/u\.example\.com\/u\/([A-Za-z0-9_.-]+)$/.exec(links.url);
    expect(m).not.toBeNull();
    const tokens = tokensFor(await loadSettings(ws, env))!;
    expect(tokens.verify(m![1]!)).toEqual({ keyId: 'k3', campaignId: 4, customerId: 9, channel: 'email' });
  });
});
