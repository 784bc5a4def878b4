/**
 * What a sender in providers.yaml may be. A sender goes into a `From:` header or a provider's
 * `From` parameter verbatim, so a CR/LF in it would write extra headers (`"Acme\r\nBcc: x@evil"`
 * became a real Bcc); it is checked once, at load, for `provider list`, `provider check` and
 * every command that sends alike.
 *
 *   email             an RFC 5322 mailbox: `news@m1.acme.example` or `Acme News <news@m1.acme.example>`
 *   sms / whatsapp    an E.164 number (`+14155550100`); WhatsApp also `whatsapp:+14155550100`
 *
 * A provider type may widen or replace the rule (Twilio: a messaging service SID; Meta: a
 * phone-number id) through its spec's `checkSender`.
 */
import type { Channel } from '../channels.js';
import { checkEmail, forbiddenCharacter } from '../customers/address.js';
import { parseMailbox } from './email-address.js';

const E164 = /^\+[1-9]\d{6,14}$/;

/** Only the characters a header or a request parameter can carry safely. */
export function unsafeSenderText(id: string): string | undefined {
  const bad = forbiddenCharacter(id);
  return bad ? `a sender ${bad}; write it on one line, without control or invisible characters` : undefined;
}

/** The channel's own rule: a problem to report, or undefined when `id` is a valid sender. */
export function channelSenderProblem(channel: Channel, id: string): string | undefined {
  const unsafe = unsafeSenderText(id);
  if (unsafe) return unsafe;
  if (channel === 'email') {
    if ((id.includes('<') || id.includes('>')) && !/^[^<>]*<[^<>]+>\s*$/.test(id)) return `"${id}" is not a mailbox: write news@acme.example or Acme News <news@acme.example>`;
    const box = parseMailbox(id);
    const checked = checkEmail(box.address);
    return checked.address ? undefined : `"${box.address}" is not an email address (${checked.problem}); a sender is news@acme.example or Acme News <news@acme.example>`;
  }
  const number = channel === 'whatsapp' ? id.replace(/^whatsapp:/, '') : id;
  return E164.test(number) ? undefined : `"${id}" is not an E.164 number such as +14155550100${channel === 'whatsapp' ? ' (or whatsapp:+14155550100)' : ''}`;
}
