/**
 * What an unexpected error (exit 1, a bug in mkt) may show. drizzle-orm wraps a failed statement
 * as "Failed query: <sql>\nparams: <every bound value>": those values are customers' emails,
 * phone numbers and names, which do not belong in a terminal, a CI log or a bug report. The
 * statement and the driver's own reason are kept; the values are counted, not shown.
 */
export function internalMessage(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return boundValues(error) ? withoutValues(error) : error.message;
}

/** `error.stack` with the same values left out. */
export function internalStack(error: Error): string | undefined {
  if (!error.stack || !boundValues(error)) return error.stack;
  return error.stack.split(error.message).join(withoutValues(error));
}

/** A drizzle query error: its message lists the statement's bound values. */
function boundValues(error: Error): error is Error & { query: string; params: unknown[] } {
  const e = error as { query?: unknown; params?: unknown };
  return typeof e.query === 'string' && Array.isArray(e.params) && error.message.startsWith('Failed query:');
}

function withoutValues(error: Error & { query: string; params: unknown[] }): string {
  const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
  return `Failed query: ${error.query} (its ${error.params.length} bound values not shown)${cause}`;
}
