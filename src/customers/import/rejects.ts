import { closeSync, openSync, writeSync } from 'node:fs';
import { InputError } from '../../errors.js';

/** One CSV field, quoted when it must be (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The `--rejects` file: a CSV of rejected rows with their line and reason, then the row itself
 * (the original columns for a CSV import, the JSON text of the record otherwise). Written as it
 * goes, buffered, and created private (0600): it holds customer data.
 */
export class RejectsFile {
  private readonly fd: number;
  private buffer = '';

  constructor(
    readonly file: string,
    private readonly header: string[] | undefined,
  ) {
    try {
      this.fd = openSync(file, 'w', 0o600);
    } catch (cause) {
      throw new InputError('rejects_unwritable', `${file}: cannot write the rejects file (${(cause as NodeJS.ErrnoException).code})`, { cause });
    }
    const columns = ['line', 'reason', ...(header ?? ['record'])];
    this.buffer = columns.map(csvField).join(',') + '\n';
  }

  add(line: number, reason: string, cells: string[] | undefined, object: unknown): void {
    const rest = this.header ? (cells ?? []) : [JSON.stringify(object)];
    this.buffer += [String(line), reason, ...rest].map(csvField).join(',') + '\n';
    if (this.buffer.length > 1 << 16) this.flush();
  }

  private flush(): void {
    if (this.buffer) writeSync(this.fd, this.buffer);
    this.buffer = '';
  }

  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}
