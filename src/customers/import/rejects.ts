import { PrivateFileWriter } from '../../util/private-file.js';

/** One CSV field, quoted when it must be (RFC 4180). */
export function csvField(value: string): string {
  return /[",\r\n]|^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * The `--rejects` file: a CSV of rejected rows with their line and reason, then the row itself
 * (the original columns for a CSV import, the JSON text of the record otherwise). Written as it
 * goes, buffered, and private (src/util/private-file.ts): it holds customer data.
 */
export class RejectsFile {
  private readonly out: PrivateFileWriter;

  constructor(
    readonly file: string,
    private readonly header: string[] | undefined,
  ) {
    // 0600, no symlink, a looser existing file tightened; a missing folder is exit 73
    this.out = new PrivateFileWriter(file);
    const columns = ['line', 'reason', ...(header ?? ['record'])];
    this.out.write(columns.map(csvField).join(',') + '\n');
  }

  add(line: number, reason: string, cells: string[] | undefined, object: unknown): void {
    const rest = this.header ? (cells ?? []) : [JSON.stringify(object)];
    this.out.write([String(line), reason, ...rest].map(csvField).join(',') + '\n');
  }

  close(): void {
    this.out.close();
  }
}
