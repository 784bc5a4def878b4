/** The one exit table: several errors (a `send --due` run) exit with the worst; an outcome is a category of the same table. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CantCreateError, ConfigError, InputError, MktError, ResumableStop, StorageIoError, UnavailableError, UsageError, type ErrorCategory } from '../../../src/errors.js';
import { exitCodeFor, exitCodeForOutcome, worstExit } from '../../../src/output/exit-codes.js';

const make: Record<ErrorCategory, () => MktError> = {
  usage: () => new UsageError('u'),
  input: () => new InputError('i', 'i'),
  unavailable: () => new UnavailableError('a', 'a'),
  resumable: () => new ResumableStop('r', 'r'),
  config: () => new ConfigError('c', 'c'),
  internal: () => new MktError('internal', 'x', 'x'),
  ioerr: () => new StorageIoError('disk_full', 'd'),
  cantcreate: () => new CantCreateError('no_folder', 'f'),
};

describe('worstExit', () => {
  it.each([
    ['none', [], undefined],
    ['one', ['input'], 'input'],
    ['unavailable (69) over resumable (75)', ['resumable', 'unavailable', 'resumable'], 'unavailable'],
    ['config (78) over resumable (75): CI treats 75 as success', ['resumable', 'config', 'resumable'], 'config'],
    ['bad input (65) over resumable (75)', ['resumable', 'input'], 'input'],
    ['config over bad input', ['input', 'config', 'usage'], 'config'],
    ['internal over the send outcomes', ['unavailable', 'internal', 'resumable'], 'internal'],
    ['a storage error (74) over internal', ['internal', 'ioerr'], 'ioerr'],
  ] as Array<[string, ErrorCategory[], ErrorCategory | undefined]>)('%s', (_, categories, want) => {
    expect(worstExit(categories.map((c) => make[c]()))?.category).toBe(want);
  });

  it('is one of the errors, the first of equals, and none of the others outranks it', () => {
    const order: ErrorCategory[] = ['resumable', 'usage', 'input', 'config', 'unavailable', 'internal', 'ioerr'];
    const rank = (c: ErrorCategory) => (c === 'cantcreate' ? order.indexOf('ioerr') : c === 'usage' ? order.indexOf('input') : order.indexOf(c));
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...order, 'cantcreate' as const), { minLength: 1, maxLength: 8 }), (categories) => {
        const errors = categories.map((c) => make[c]());
        const worst = worstExit(errors)!;
        expect(errors).toContain(worst);
        expect(errors.findIndex((e) => rank(e.category) === rank(worst.category))).toBe(errors.indexOf(worst));
        for (const e of errors) expect(rank(e.category)).toBeLessThanOrEqual(rank(worst.category));
      }),
    );
  });

  it('errors the caller marks outrank every category', () => {
    const marked = new ResumableStop('database_corrupt', 'c', { details: { storage: true } });
    const errors = [make.internal(), marked, make.ioerr()];
    expect(worstExit(errors, (e) => e.details?.storage === true)).toBe(marked);
    expect(worstExit(errors)?.category).toBe('ioerr');
  });
});

describe('exitCodeForOutcome', () => {
  it('is the error table, and 0 for ok', () => {
    expect(exitCodeForOutcome('ok')).toBe(0);
    for (const c of Object.keys(make) as ErrorCategory[]) expect(exitCodeForOutcome(c)).toBe(exitCodeFor(make[c]()));
  });
});
