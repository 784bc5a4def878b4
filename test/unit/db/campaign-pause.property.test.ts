/** The pause reason is decoded once in db/campaigns.ts: stored text ⇄ { code, message } round-trips exactly. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parsePause, pauseText } from '../../../src/db/campaigns.js';

// codes as the send path writes them: a stop kind, or a provider's `kind:VendorCode`
const code = fc.stringMatching(/^[a-z_]{1,12}(:[A-Za-z0-9_.]{1,16})?$/);

describe('pause reason', () => {
  it('text → reason → text is the identity for any stored text', () => {
    fc.assert(fc.property(fc.string(), (text) => {
        expect(pauseText(parsePause(text))).toBe(text);
      }));
  });

  it('reason → text → reason keeps the code and the message (messages may hold ": " too)', () => {
    fc.assert(
      fc.property(code, fc.string(), (c, message) => {
        expect(parsePause(pauseText({ code: c, message }))).toEqual({ code: c, message });
      }),
    );
  });

  it('decodes what sends and cancels write', () => {
    expect(parsePause('interrupted: cannot claim recipients: database is locked')).toEqual({ code: 'interrupted', message: 'cannot claim recipients: database is locked' });
    expect(parsePause('fatal:AccountSuspended: account suspended')).toEqual({ code: 'fatal:AccountSuspended', message: 'account suspended' });
    expect(parsePause('cancelled by the operator')).toEqual({ code: null, message: 'cancelled by the operator' });
    expect(parsePause(null)).toBeNull();
  });
});
