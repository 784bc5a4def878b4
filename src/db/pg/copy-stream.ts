/**
 * `COPY … FROM STDIN` (text format) on one connection, fed in chunks: the rows of a file reach
 * PostgreSQL as one stream, parsed by the server without a statement or a parameter per row.
 * While a COPY is open its connection runs nothing else, so it is ended (or aborted, which
 * sends CopyFail) before the next statement.
 */
import { once } from 'node:events';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** One value in COPY's text format: `\N` for NULL, backslash, tab, newline and CR escaped; `boolean` columns take 0/1 as f/t. */
export function copyValue(v: unknown, boolean = false): string {
  if (v === null || v === undefined) return '\\N';
  if (boolean) return v ? 't' : 'f';
  if (typeof v !== 'string') return String(v);
  return /[\\\t\n\r]/.test(v) ? v.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r')) : v;
}

export class CopyIn {
  private readonly stream: ReturnType<typeof copyFrom>;
  private readonly done: Promise<unknown>;
  private open = true;

  constructor(client: pg.PoolClient, table: string, columns: readonly string[]) {
    this.stream = client.query(copyFrom(`COPY ${table} (${columns.join(', ')}) FROM STDIN`));
    this.done = new Promise((resolve, reject) => {
      this.stream.on('finish', resolve);
      this.stream.on('error', reject);
    });
    this.done.catch(() => {}); // observed by write / end / abort
  }

  /** Sends a chunk of whole lines; waits while the server is behind. */
  async write(chunk: string): Promise<void> {
    if (chunk && !this.stream.write(chunk)) await Promise.race([once(this.stream, 'drain'), this.done]);
  }

  /** Ends the COPY; resolves once the server has every row. */
  async end(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.stream.end();
    await this.done;
  }

  /** Gives up an open COPY (CopyFail), so the connection can roll back. */
  async abort(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    this.stream.destroy(new Error('import abandoned'));
    await this.done.catch(() => {});
  }
}
