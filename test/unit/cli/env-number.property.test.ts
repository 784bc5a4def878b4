/**
 * The duration variables (MKT_DB_CONNECT_S, MKT_DB_COPY_ANSWER_S, MKT_WORKER_TTL_S) are read by
 * one rule (src/cli/env-number.ts): unset or empty is the default; 1 to 999999 in decimal
 * digits is that many seconds; anything else is a configuration error (78) with the variable's
 * own code, naming the variable.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { connectWithinMs } from '../../../src/cli/connect-deadline.js';
import { copyAnswerMs } from '../../../src/cli/db.js';
import { workerTtlMs } from '../../../src/cli/worker-ttl.js';
import { MktError } from '../../../src/errors.js';
import { exitCodeFor } from '../../../src/output/exit-codes.js';

const READERS = [
  { name: 'MKT_DB_CONNECT_S', code: 'bad_connect_deadline', read: connectWithinMs },
  { name: 'MKT_DB_COPY_ANSWER_S', code: 'bad_copy_answer', read: copyAnswerMs },
  { name: 'MKT_WORKER_TTL_S', code: 'bad_worker_ttl', read: workerTtlMs },
];

describe.each(READERS)('$name', ({ name, code, read }) => {
  it('unset or empty: the default (undefined)', () => {
    expect(read({})).toBeUndefined();
    expect(read({ [name]: '' })).toBeUndefined();
  });

  it('a whole number of seconds from 1 to 999999 is that many seconds in ms', () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 999_999 }), (n) => read({ [name]: String(n) }) === n * 1000));
  });

  it('anything else is 78 with its code, naming the variable', () => {
    const valid = /^[1-9]\d{0,5}$/;
    fc.assert(
      fc.property(
        fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String), fc.constantFrom('0', '007', '1e3', ' 5', '5 ', '+5', '0x10', '1_000', '1000000')).filter((s) => s !== '' && !valid.test(s)),
        (text) => {
          let error: unknown;
          try {
            read({ [name]: text });
          } catch (e) {
            error = e;
          }
          expect(error).toBeInstanceOf(MktError);
          expect((error as MktError).code).toBe(code);
          expect(exitCodeFor(error)).toBe(78);
          expect((error as MktError).message).toContain(name);
        },
      ),
    );
  });
});
