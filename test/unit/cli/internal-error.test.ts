/**
 * An unexpected error's message and stack (exit 1) never show a failed statement's bound
 * values: drizzle-orm puts every one of them (customers' emails, numbers, names) into its
 * "Failed query" message. The error is drizzle's own, as a failing query throws it.
 */
import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { internalMessage, internalStack } from '../../../src/cli/internal-error.js';

const query = 'insert into "customers" ("email", "phone") values ($1, $2)';
const failed = () => new DrizzleQueryError(query, ['ann.private@example.com', '+4915123456789'], new Error('duplicate key value violates unique constraint "customers_email_idx"'));

describe('unexpected errors', () => {
  it('a failed query shows its statement and reason, never its bound values', () => {
    const error = failed();
    expect(error.message).toContain('ann.private@example.com'); // what drizzle itself says
    const message = internalMessage(error);
    expect(message).toBe(`Failed query: ${query} (its 2 bound values not shown): duplicate key value violates unique constraint "customers_email_idx"`);
    const stack = internalStack(error)!;
    expect(stack).toContain('Failed query: ');
    expect(stack).toContain('at ');
    for (const text of [message, stack]) {
      expect(text).not.toContain('ann.private@example.com');
      expect(text).not.toContain('+4915123456789');
    }
  });

  it('any other error keeps its message and stack', () => {
    const error = new TypeError('boom');
    expect(internalMessage(error)).toBe('boom');
    expect(internalStack(error)).toBe(error.stack);
    expect(internalMessage('text')).toBe('text');
  });
});
