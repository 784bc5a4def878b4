import { InputError } from '../errors.js';
import { formatIssue, type Issue } from '../workspace/issue.js';

/** One problem found in a template file (the workspace's one Issue shape); line and col are 1-based positions in that file. */
export type Diagnostic = Issue;

/**
 * Collects every problem of a load or validation run, so `template validate` can report them
 * all at once while `loadTemplate` refuses on the first run that found any error.
 */
export class Diagnostics {
  readonly errors: Diagnostic[] = [];
  readonly warnings: Diagnostic[] = [];

  error(file: string, message: string, line?: number, col?: number): void {
    this.errors.push(at(file, message, line, col));
  }

  warn(file: string, message: string, line?: number, col?: number): void {
    this.warnings.push(at(file, message, line, col));
  }

  /** Throws an InputError (exit 65) naming the first error at file:line:col when there is any. */
  throwIfErrors(): void {
    if (this.errors.length === 0) return;
    const first = this.errors[0]!;
    const more = this.errors.length > 1 ? ` (and ${this.errors.length - 1} more; run \`mkt template validate\`)` : '';
    throw new InputError('template_invalid', `${formatDiagnostic(first)}${more}`, { details: { errors: this.errors } });
  }
}

function at(file: string, message: string, line?: number, col?: number): Diagnostic {
  return { file, ...(line === undefined ? {} : { line }), ...(col === undefined ? {} : { col }), message };
}

export const formatDiagnostic: (d: Diagnostic) => string = formatIssue;
