/**
 * Sender identities are validated where providers.yaml is read, so `provider list`,
 * `provider check` and every send see the same rule, and no sender can smuggle a header.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors.js';
import { exitCodeFor } from '../../../src/output/exit-codes.js';
import { getProviderConfig, listProviders } from '../../../src/providers/index.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

function ws(yaml: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-senders-'));
  dirs.push(dir);
  writeFileSync(path.join(dir, 'providers.yaml'), yaml);
  return dir;
}

const entry = (channel: string, senders: string, type = 'outbox', extra = '') => `providers:\n  - name: p\n    type: ${type}\n    channel: ${channel}\n${extra}    senders: ${senders}\n`;
const SID = 'AC' + 'a'.repeat(32);
const TWILIO = `    account_sid: ${SID}\n    auth_token: \${TOK}\n`;

/** Both readers, and what they throw (undefined when the file is accepted). */
async function bothReaders(yaml: string): Promise<[ConfigError | undefined, ConfigError | undefined]> {
  const dir = ws(yaml);
  const caught = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as ConfigError);
  return [await caught(listProviders(dir)), await caught(getProviderConfig(dir, { TOK: 'token-value' }, 'p'))];
}

describe('sender identities', () => {
  it.each([
    ['email', '[ "news@acme.example" ]'],
    ['email', '[ "Acme News <news@acme.example>" ]'],
    ['email', '[ "\\"Acme, Inc.\\" <news@bücher.example>" ]'],
    ['sms', '[ "+14155550100" ]'],
    ['whatsapp', '[ "whatsapp:+14155550100", "+14155550101" ]'],
  ])('%s %s is accepted', async (channel, senders) => {
    expect(await bothReaders(entry(channel, senders))).toEqual([undefined, undefined]);
  });

  it('a Twilio messaging service SID is a sender; a Meta sender is a phone-number id', async () => {
    expect(await bothReaders(entry('sms', `[ "MG${'b'.repeat(32)}" ]`, 'twilio', TWILIO))).toEqual([undefined, undefined]);
    const [list, check] = await bothReaders(entry('whatsapp', '[ "+14155550100" ]', 'meta-whatsapp', '    access_token: ${TOK}\n'));
    expect(list?.message).toContain('phone-number id');
    expect(check?.message).toContain('phone-number id');
  });

  it.each([
    ['email', '[ "Acme\\r\\nBcc: x@evil.example <news@acme.example>" ]', 'U+000D'],
    ['email', '[ "news@acme.example\\nBcc: x@evil.example" ]', 'U+000A'],
    ['email', '[ "Acme\\u202e <news@acme.example>" ]', 'U+202E'],
    ['email', '[ "Acme News" ]', 'is not an email address'],
    ['email', '[ "Acme <news@acme.example> <x@y.example>" ]', 'is not a mailbox'],
    ['sms', '[ "4155550100" ]', 'E.164'],
    ['sms', '[ "+1 415 555 0100" ]', 'E.164'],
    ['sms', '[ "whatsapp:+14155550100" ]', 'E.164'],
    ['whatsapp', '[ "+14155550100\\u0000" ]', 'U+0000'],
  ])('%s %s is refused by list and check alike (78): %s', async (channel, senders, problem) => {
    const [list, check] = await bothReaders(entry(channel, senders));
    for (const e of [list, check]) {
      expect(e).toBeInstanceOf(ConfigError);
      expect(exitCodeFor(e!)).toBe(78);
      expect(e!.message).toContain('providers.yaml:5:');
      expect(e!.message).toContain(problem);
      expect(e!.message).not.toMatch(/[\r\n]Bcc/);
    }
  });

  it('provider list refuses the unknown key that check refuses; an ${ENV} value is left to check', async () => {
    const typo = entry('sms', '[ "+14155550100" ]', 'twilio', TWILIO + '    messaging_servce_sid: MG1\n');
    const [list, check] = await bothReaders(typo);
    expect(list?.message).toContain('unknown key "messaging_servce_sid"');
    expect(check?.message).toContain('unknown key "messaging_servce_sid"');
    expect(exitCodeFor(list!)).toBe(78);
    const byEnv = entry('sms', '[ "${SENDER}" ]', 'twilio', TWILIO + '    base_url: ${TWILIO_URL}\n');
    await expect(listProviders(ws(byEnv))).resolves.toHaveLength(1);
    await expect(getProviderConfig(ws(byEnv), { TOK: 't', SENDER: 'Acme\r\nX', TWILIO_URL: 'http://127.0.0.1:1' }, 'p')).rejects.toThrow(/U\+000D/);
  });
});
