/** The one exit table: several errors (a `send --due` run) exit with the worst; an outcome is a category of the same table. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, InputError, MktError, ResumableStop, UnavailableError, UsageError, type ErrorCategory } from '../../../src/errors.js';
import { exitCodeFor, exitCodeForOutcome, worstExit } from '../../../src/output/exit-codes.js';

const make: Record<ErrorCategory, () => MktError> = {
  usage: () => new UsageError('u'),
  input: () => new InputError('i', 'i'),
  unavailable: () => new UnavailableError('a', 'a'),
  resumable: () => new ResumableStop('r', 'r'),
  config: () => new ConfigError('c', 'c'),
  internal: () => new MktError('internal', 'x', 'x'),
};

describe('worstExit', () => {
  it.each([
    ['none', [], undefined],
    ['one', ['input'], 'input'],
    ['unavailable (69) over resumable (75)', ['resumable', 'unavailable', 'resumable'], 'unavailable'],
    ['resumable over config', ['config', 'resumable'], 'resumable'],
    ['config over bad input', ['input', 'config', 'usage'], 'config'],
    ['internal over everything', ['unavailable', 'internal', 'resumable'], 'internal'],
  ] as Array<[string, ErrorCategory[], ErrorCategory | undefined]>)('%s', (_, categories, want) => {
    expect(worstExit(categories.map((c) => make[c]()))?.category).toBe(want);
  });

  it('is one of the errors, the first of equals, and none of the others outranks it', () => {
    const order: ErrorCategory[] = ['usage', 'input', 'config', 'resumable', 'unavailable', 'internal'];
    const rank = (c: ErrorCategory) => Math.max(order.indexOf(c), 1);
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...order), { minLength: 1, maxLength: 8 }), (categories) => {
        const errors = categories.map((c) => make[c]());
        const worst = worstExit(errors)!;
        expect(errors).toContain(worst);
        expect(errors.findIndex((e) => rank(e.category) === rank(worst.category))).toBe(errors.indexOf(worst));
        for (const e of errors) expect(rank(e.category)).toBeLessThanOrEqual(rank(worst.category));
      }),
    );
  });
});

describe('exitCodeForOutcome', () => {
  it('is the error table, and 0 for ok', () => {
    expect(exitCodeForOutcome('ok')).toBe(0);
    for (const c of Object.keys(make) as ErrorCategory[]) expect(exitCodeForOutcome(c)).toBe(exitCodeFor(make[c]()));
  });
});
