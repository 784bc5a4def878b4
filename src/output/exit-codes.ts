import { MktError, type ErrorCategory } from '../errors.js';

/** sysexits-style exit codes (docs/architecture.md). The only place that decides them. */
export const EXIT = {
  ok: 0,
  internal: 1,
  usage: 64,
  input: 65,
  unavailable: 69,
  cantcreate: 73,
  ioerr: 74,
  resumable: 75,
  config: 78,
} as const;

const byCategory: Record<ErrorCategory, number> = {
  usage: EXIT.usage,
  input: EXIT.input,
  unavailable: EXIT.unavailable,
  cantcreate: EXIT.cantcreate,
  ioerr: EXIT.ioerr,
  resumable: EXIT.resumable,
  config: EXIT.config,
  internal: EXIT.internal,
};

export function exitCodeFor(error: unknown): number {
  if (error instanceof MktError) return byCategory[error.category];
  return EXIT.internal;
}
