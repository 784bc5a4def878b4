/**
 * Errors of the import's reader thread cross to the writer as data: they must come back as the
 * same MktError subclass (the exit code depends on it) with the same code, message, hint and
 * details, so `--json` errors and exit codes are those of a one-thread import.
 */
import { describe, expect, it } from 'vitest';
import { errorFromWire, errorToWire } from '../../../src/customers/import/reader-protocol.js';
import { ConfigError, InputError, MktError, UsageError } from '../../../src/errors.js';
import { exitCodeFor } from '../../../src/output/exit-codes.js';

const roundTrip = (e: unknown) => errorFromWire(structuredClone(errorToWire(e)));

describe('reader errors across the thread boundary', () => {
  it.each([
    ['an InputError (a malformed file)', new InputError('import_malformed', 'c.csv:7: unterminated quoted field', { hint: 'nothing was imported', details: { file: 'c.csv', line: 7 } }), InputError],
    ['a UsageError', new UsageError('--delimiter applies to CSV files only', { code: 'usage' }), UsageError],
    ['a ConfigError', new ConfigError('no_database', 'no database', { hint: 'pass --db' }), ConfigError],
    ['another category', new MktError('ioerr', 'disk_full', 'the disk is full'), MktError],
  ])('%s keeps its class, code, message, hint, details and exit code', (_, error, kind) => {
    const back = roundTrip(error);
    expect(back).toBeInstanceOf(kind);
    expect((back as MktError).toJSON()).toEqual(error.toJSON());
    expect(exitCodeFor(back)).toBe(exitCodeFor(error));
  });

  it('any other error keeps its message (an internal failure, not a data error)', () => {
    const back = roundTrip(new TypeError('boom'));
    expect(back).not.toBeInstanceOf(MktError);
    expect(back.message).toBe('boom');
  });
});
