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

/**
 * How a command ended when it printed its own result and has no error to throw (`validate`
 * found problems, `doctor` found failures): a category of the same table, never a raw number.
 */
export type Outcome = 'ok' | ErrorCategory;

export function exitCodeForOutcome(outcome: Outcome): number {
  return outcome === 'ok' ? EXIT.ok : byCategory[outcome];
}

/**
 * Which error decides the exit when several happened: storage (74, 73), internal, unavailable
 * (69), config (78), bad input or use (65, 64), and only then resumable (75). A scheduled run
 * treats 75 as success, so any campaign that failed for real must outrank one that only stopped.
 */
const severity: Record<ErrorCategory, number> = { ioerr: 6, cantcreate: 6, internal: 5, unavailable: 4, config: 3, input: 2, usage: 2, resumable: 1 };

/**
 * The error whose exit code wins over the others (the first of equals); undefined when there
 * is none. Errors `outranks` picks (a storage fault: no CI run may pass it as 75) beat all others.
 */
export function worstExit<E extends MktError>(errors: readonly E[], outranks: (e: E) => boolean = () => false): E | undefined {
  const rank = (e: E) => (outranks(e) ? 7 : severity[e.category]);
  let worst: E | undefined;
  for (const e of errors) if (!worst || rank(e) > rank(worst)) worst = e;
  return worst;
}
