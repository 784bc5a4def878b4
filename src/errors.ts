/**
 * Typed errors. Core modules throw these; only the CLI entry maps them to exit codes
 * (src/output/exit-codes.ts). Each carries a stable machine code, a human message, an
 * optional hint and JSON-safe details. Messages must never contain secrets.
 */
export type ErrorCategory = 'usage' | 'input' | 'unavailable' | 'cantcreate' | 'ioerr' | 'resumable' | 'config' | 'internal';

export interface ErrorOptions {
  hint?: string;
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class MktError extends Error {
  readonly category: ErrorCategory;
  readonly code: string;
  readonly hint?: string;
  readonly details?: Record<string, unknown>;

  constructor(category: ErrorCategory, code: string, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.category = category;
    this.code = code;
    this.hint = options.hint;
    this.details = options.details;
  }

  toJSON(): { code: string; message: string; hint?: string; details?: Record<string, unknown> } {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

/** Wrong command-line use: unknown flag, missing argument, a prompt needed without a TTY. Exit 64. */
export class UsageError extends MktError {
  constructor(message: string, options: ErrorOptions & { code?: string } = {}) {
    super('usage', options.code ?? 'usage', message, options);
  }
}

/** Bad input data: CSV, JSON, YAML, template, segment definition. Exit 65. */
export class InputError extends MktError {
  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super('input', code, message, options);
  }
}

/** A provider is unavailable or refused fatally; the campaign was paused. Exit 69. */
export class UnavailableError extends MktError {
  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super('unavailable', code, message, options);
  }
}

/** An output file cannot be created: its folder is missing, it is a symlink, no permission. Exit 73. */
export class CantCreateError extends MktError {
  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super('cantcreate', code, message, options);
  }
}

/** Reading or writing storage failed: the disk is full, the file too large, an I/O error. Exit 74. */
export class StorageIoError extends MktError {
  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super('ioerr', code, message, options);
  }
}

/** Stopped early, safe to run again: interrupted, daily cap, quiet hours. Exit 75. */
export class ResumableStop extends MktError {
  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super('resumable', code, message, options);
  }
}

/** Configuration problem: providers.yaml, mkt.yaml, missing environment variable. Exit 78. */
export class ConfigError extends MktError {
  constructor(code: string, message: string, options: ErrorOptions = {}) {
    super('config', code, message, options);
  }
}

/** A place in a source file, for error messages of the form `file:line:col`. */
export interface SourcePosition {
  file: string;
  line?: number;
  col?: number;
}

export function formatPosition(pos: SourcePosition): string {
  if (pos.line === undefined) return pos.file;
  return pos.col === undefined ? `${pos.file}:${pos.line}` : `${pos.file}:${pos.line}:${pos.col}`;
}
