/**
 * What the import's reader thread (./read-worker.ts) and the writer (./reader.ts) say to each
 * other. Errors cross the thread boundary as data and are rebuilt as the same MktError subclass
 * with the same code, message, hint and details, so exit codes and `--json` errors are those of
 * an import read on one thread.
 */
import { ConfigError, InputError, MktError, UsageError, type ErrorCategory } from '../../errors.js';

/** Batches the reader may be ahead of the writer. */
export const CREDITS = 4;

export interface WireError {
  category?: ErrorCategory;
  code?: string;
  message: string;
  hint?: string;
  details?: Record<string, unknown>;
  stack?: string;
}

export type FromReader =
  | { kind: 'header'; header?: string[] }
  /** A PreparedBatch as JSON text (see PreparedValues). */
  | { kind: 'rows'; batch: string }
  | { kind: 'end' }
  | { kind: 'error'; error: WireError };

export function errorToWire(error: unknown): WireError {
  if (error instanceof MktError) return { category: error.category, code: error.code, message: error.message, hint: error.hint, details: error.details };
  const e = error instanceof Error ? error : new Error(String(error));
  return { message: e.message, stack: e.stack };
}

export function errorFromWire(wire: WireError): Error {
  const options = { hint: wire.hint, details: wire.details };
  if (wire.category === undefined || wire.code === undefined) return Object.assign(new Error(wire.message), wire.stack ? { stack: wire.stack } : {});
  if (wire.category === 'input') return new InputError(wire.code, wire.message, options);
  if (wire.category === 'usage') return new UsageError(wire.message, { ...options, code: wire.code });
  if (wire.category === 'config') return new ConfigError(wire.code, wire.message, options);
  return new MktError(wire.category, wire.code, wire.message, options);
}
