/**
 * What `mkt serve` must never lose (opt-outs, provider events) reaches the disk before the
 * request is answered, without the event loop ever waiting for SQLite's lock:
 *
 * - nothing spooled yet: the record is applied at once on a connection that does not wait for
 *   locks (busy timeout 0). Committed → done.
 * - the store refused (busy, locked, full …) or records are already spooled (order matters: a
 *   STOP then a START): the record is appended to a spool file and fsync'ed; requests arriving
 *   together share one write and one fsync. Durable → done.
 * - neither worked: SpoolUnavailable, which the server answers 503 + Retry-After.
 *
 * Spooled records are replayed into the store in order, in one transaction, as soon as it
 * accepts writes again, then the spool is emptied. A crash between that commit and the
 * truncation replays them once more at the next start: suppressions are idempotent; the
 * feedback log may then hold an event twice.
 *
 * A store that refuses for good (an SQLite file `db copy` moved to PostgreSQL: `sealed`) seals
 * the queue: from then on nothing is applied to it, every record is spooled, no retry runs, and
 * the spool stays when the server stops, for the store the records belong to now
 * (serve-replay.ts: the next command writing to that PostgreSQL replays it).
 *
 * Each process spools into its own file (`<db>-serve-spool.<pid>.jsonl`, 0600), so two servers
 * on one database never truncate each other's records; a new server adopts the files of
 * processes that are gone. The file is a private file (src/util/private-file.ts: never through a
 * symlink) created on the first record that must be spooled, so a server that never needed it
 * (or failed to start) leaves none behind.
 */
import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readdirSync, readFileSync, unlinkSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { redactUrl, type DbTarget } from '../db/target.js';
import { makePrivateDirs, openPrivateHandle } from '../util/private-file.js';

/** The spool could not take the record either (disk full, unwritable, too much backlog). */
export class SpoolUnavailable extends Error {}

export interface DurableQueueOptions<R> {
  /** The database file the records belong to (for PostgreSQL: serveSpoolBase); spool files sit beside it. */
  dbFile: string;
  /** Applies records in order, all or nothing (never two calls at once). Rejects when the store refuses. */
  apply(records: R[]): Promise<void>;
  /** Errors after which the records are kept and retried (the store refused); anything else is a bug and propagates. */
  retryable(e: unknown): boolean;
  /** Errors after which the store never takes records again (a moved file): the queue seals (see above). */
  sealed?(e: unknown): boolean;
  /** Called once, when the queue seals, with the store's error and the spool file. */
  onSealed?(e: Error, spool: string): void;
  log(line: string): void;
  retryMs?: number;
}

/** More than this many records waiting for the store is a store that is not coming back soon. */
const MAX_BACKLOG = 100_000;
const SPOOL_RE = /-serve-spool\.(\d+)\.jsonl$/;

/** Whether any serve spool sits beside the database (cheap: one readdir; no spool module state). */
export function hasSpools(dbFile: string): boolean {
  const base = `${path.basename(dbFile)}-serve-spool.`;
  try {
    return readdirSync(path.dirname(path.resolve(dbFile))).some((n) => n.startsWith(base) && SPOOL_RE.test(n));
  } catch {
    return false;
  }
}

/**
 * Where a PostgreSQL store's spools sit: the workspace's .mkt folder, under a name derived from
 * the connection string without its password, so every process of this workspace that opens
 * the same database (serve, and the commands that replay) finds them, and no other database's.
 */
export function serveSpoolBase(target: DbTarget, workspaceDbFile: string): string {
  if (target.kind === 'sqlite') return target.path;
  const digest = createHash('sha256').update(redactUrl(target.url)).digest('hex').slice(0, 16);
  return path.join(path.dirname(workspaceDbFile), `postgres-${digest}`);
}

export function spoolFile(dbFile: string, pid = process.pid): string {
  return `${dbFile}-serve-spool.${pid}.jsonl`;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return false; // a file with our pid was left by an earlier process
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class DurableQueue<R> {
  private pending: R[] = []; // durable in a spool file, not yet in the store
  private buffered: Array<{ record: R; done: (e?: Error) => void }> = [];
  private writing = 0; // records taken from `buffered` whose write has not finished
  private flushQueued = false;
  private chain: Promise<unknown> = Promise.resolve();
  // one apply at a time, in the order asked: a STOP and then a START must land in that order
  private applying: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private size = 0;
  private adopted: string[] = [];
  private lastProblem = '';
  private sealedBy: Error | undefined;
  // once sealed: how many records the spool files hold (no longer kept in memory: never applied here)
  private kept = 0;
  readonly file: string;

  private constructor(
    private readonly opts: DurableQueueOptions<R>,
    private fh: FileHandle | undefined,
  ) {
    this.file = spoolFile(opts.dbFile);
  }

  /** Opens this process's spool, adopts the records of servers that are gone and replays them. */
  static async open<R>(opts: DurableQueueOptions<R>): Promise<DurableQueue<R>> {
    const dir = path.dirname(path.resolve(opts.dbFile));
    const base = path.basename(opts.dbFile);
    const queue = new DurableQueue<R>(opts, undefined);
    makePrivateDirs(dir);
    for (const { full, records, valid } of queue.orphans(dir, base)) {
      queue.pending.push(...records);
      if (full === path.resolve(queue.file)) queue.size = valid; // left by an earlier process with our pid: we append to it
      else queue.adopted.push(full);
    }
    if (queue.pending.length) opts.log(`${queue.pending.length} spooled record(s) from an earlier server to replay`);
    await queue.drain();
    return queue;
  }

  /**
   * Replays the spools of servers that are gone into the store, then removes them: commands that
   * write (prepare, send) call it at open, so an opt-out spooled by a server that stopped while
   * the database was locked is in the suppressions before anyone is sent anything. Returns how
   * many records it applied; a store that still refuses leaves the files for the next chance.
   */
  static async replayOrphans<R>(opts: Omit<DurableQueueOptions<R>, 'retryMs'>): Promise<number> {
    const dir = path.dirname(path.resolve(opts.dbFile));
    const base = path.basename(opts.dbFile);
    let files: ReturnType<DurableQueue<R>['orphans']>;
    const probe = new DurableQueue<R>(opts, undefined);
    try {
      files = probe.orphans(dir, base);
    } catch {
      return 0; // no folder yet: nothing was ever spooled
    }
    if (files.length === 0) return 0;
    const records = files.flatMap((f) => f.records);
    try {
      await opts.apply(records);
    } catch (e) {
      if (!opts.retryable(e)) throw e;
      opts.log(`${records.length} spooled record(s) wait for the database (${(e as { code?: string }).code ?? 'busy'})`);
      return 0;
    }
    for (const f of files) probe.unlink(f.full);
    return records.length;
  }

  /** The readable spools beside the database whose process is gone (or is an earlier one with our pid). */
  private orphans(dir: string, base: string): Array<{ full: string; records: R[]; valid: number }> {
    const out: Array<{ full: string; records: R[]; valid: number }> = [];
    for (const name of readdirSync(dir)) {
      const m = SPOOL_RE.exec(name);
      if (!m || !name.startsWith(`${base}-serve-spool.`) || alive(Number(m[1]))) continue;
      const full = path.join(dir, name);
      try {
        out.push({ full, ...this.readSpool(full) });
      } catch (e) {
        this.opts.log(`cannot read the spool ${full} (${(e as NodeJS.ErrnoException).code ?? 'error'}): its records are not replayed until it can be read`);
      }
    }
    return out;
  }

  /** The store's refusal that sealed the queue (nothing is applied to the store any more), if it did. */
  get sealed(): Error | undefined {
    return this.sealedBy;
  }

  /** Once sealed: the records the spool holds for the store they belong to now. */
  get spooled(): number {
    return this.kept;
  }

  /**
   * Seals the queue from outside (a check between writes) when `e` says the store is gone for
   * good; in turn with the spool's writes and replays, so none is half-way when it seals.
   */
  async sealWith(e: unknown): Promise<void> {
    await this.serial(async () => void this.seal(e));
  }

  /** Seals the queue when `e` says the store is gone for good; true when sealed (now or before). */
  private seal(e: unknown): boolean {
    if (this.sealedBy) return true;
    if (!this.opts.sealed?.(e)) return false;
    this.sealedBy = e as Error;
    // what is spooled stays on disk for the new store; memory no longer grows with it (no backlog limit)
    this.kept = this.pending.length;
    this.pending = [];
    clearTimeout(this.timer);
    this.timer = undefined;
    this.opts.onSealed?.(this.sealedBy, this.file);
    return true;
  }

  /** Records durable in a spool but not yet in the store. */
  get backlog(): number {
    return this.pending.length + this.buffered.length + this.writing;
  }

  /** Resolves once the record is committed or fsync'ed into the spool; rejects with SpoolUnavailable when neither worked. */
  async submit(record: R): Promise<'committed' | 'spooled'> {
    // decided in turn with the other applies: once one record is spooled, later ones follow it
    const spooled = await this.inTurn(async () => {
      if (this.backlog === 0 && !this.sealedBy) {
        try {
          await this.opts.apply([record]);
          this.lastProblem = '';
          return undefined;
        } catch (e) {
          if (!this.seal(e)) {
            if (!this.opts.retryable(e)) throw e;
            this.problem(e);
          }
        }
      }
      if (this.backlog >= MAX_BACKLOG) throw new SpoolUnavailable(`${this.backlog} records already wait for the database`);
      // in the spool's order before the next apply is decided; the turn does not wait for the write
      // (wrapped: a promise returned from the turn would be waited for, behind a drain waiting for its turn)
      const written = new Promise<void>((resolve, reject) => {
        this.buffered.push({ record, done: (e) => (e ? reject(e) : resolve()) });
        if (!this.flushQueued) {
          this.flushQueued = true;
          void this.serial(() => this.flush());
        }
      });
      return { written };
    });
    if (!spooled) return 'committed';
    await spooled.written;
    return 'spooled';
  }

  /** Runs `f` after every apply asked before it (the result is not awaited by the turn). */
  private inTurn<T>(f: () => Promise<T>): Promise<T> {
    const p = this.applying.then(f);
    this.applying = p.catch(() => undefined);
    return p;
  }

  /** Stops retrying on a timer and makes a last attempt (the caller may let it wait for the lock now). */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.serial(async () => {});
    await this.drain(false);
    if (this.kept) this.opts.log(`${this.kept} spooled record(s) stay in ${this.file}, for the store this one moved to: the next mkt command that writes to it from this workspace (e.g. mkt serve with MKT_DB set to it) replays them, or MKT_DB=… mkt db replay-spool ${this.opts.dbFile}`);
    else if (this.pending.length) this.opts.log(`${this.pending.length} spooled record(s) stay in ${this.file}; the next \`mkt serve\` replays them`);
    const fh = this.fh;
    this.fh = undefined;
    await fh?.close().catch(() => undefined);
    if (!this.pending.length && !this.kept) this.unlink(this.file);
  }

  /** Runs spool file operations one after the other: appends never interleave with a truncation. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.chain.then(f);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async flush(): Promise<void> {
    this.flushQueued = false;
    const batch = this.buffered.splice(0);
    this.writing = batch.length;
    const text = batch.map((b) => JSON.stringify(b.record) + '\n').join('');
    let failure: Error | undefined;
    try {
      const fh = await this.handle();
      await fh.write(text);
      await fh.datasync();
      this.size += Buffer.byteLength(text);
    } catch (e) {
      failure = new SpoolUnavailable(`cannot write the spool ${this.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      this.opts.log(failure.message);
      // A torn append would glue the next record to half of this one: cut it off, or give up the spool.
      await this.fh?.truncate(this.size).catch(() => {
        this.fh = undefined;
      });
    }
    this.writing = 0;
    if (!failure && this.sealedBy) this.kept += batch.length;
    else if (!failure) this.pending.push(...batch.map((b) => b.record));
    for (const b of batch) b.done(failure);
    if (!failure) this.retryLater();
  }

  /**
   * This process's spool file, opened on first use. A file an earlier process with our pid left
   * is appended to, after its torn last line (never acknowledged) is cut off.
   */
  private async handle(): Promise<FileHandle> {
    if (!this.fh) {
      const fh = await openPrivateHandle(this.file, { append: true });
      try {
        await fh.truncate(this.size);
      } catch (e) {
        await fh.close().catch(() => undefined);
        throw e;
      }
      this.fh = fh;
    }
    return this.fh;
  }

  /** Replays the spooled records into the store; on refusal tries again later. */
  private drain(retry = true): Promise<void> {
    return this.serial(async () => {
      if (!this.pending.length || this.sealedBy) return;
      const records = this.pending;
      try {
        await this.inTurn(() => this.opts.apply(records));
      } catch (e) {
        if (this.seal(e)) return;
        this.problem(e);
        if (retry) this.retryLater();
        return;
      }
      this.opts.log(`replayed ${this.pending.length} spooled record(s) into the database`);
      this.pending = [];
      this.lastProblem = '';
      for (const f of this.adopted.splice(0)) this.unlink(f);
      try {
        if (this.fh) {
          await this.fh.truncate(0);
          await this.fh.datasync();
        } else this.unlink(this.file); // an earlier process's file with our pid, never opened by this one
        this.size = 0;
      } catch (e) {
        this.opts.log(`cannot empty the spool ${this.file} (${(e as NodeJS.ErrnoException).code ?? 'error'}): its records are replayed again at the next start`);
      }
    });
  }

  private retryLater(): void {
    if (this.timer || this.sealedBy) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, this.opts.retryMs ?? 250);
  }

  /** Logs why the store refused, once per reason (not once per retry). */
  private problem(e: unknown): void {
    const why = `${(e as { code?: string }).code ?? 'error'}: ${(e as Error).message}`;
    if (why === this.lastProblem) return;
    this.lastProblem = why;
    this.opts.log(`database refused the write (${why}); spooling to ${this.file} and retrying`);
  }

  /** The records of a spool file, and the bytes up to its last complete line. */
  private readSpool(file: string): { records: R[]; valid: number } {
    // a symlink planted under a spool's name is not read through (ELOOP: logged, left alone)
    const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
    let text: Buffer;
    try {
      text = readFileSync(fd);
    } finally {
      closeSync(fd);
    }
    const valid = text.lastIndexOf(0x0a) + 1;
    const records: R[] = [];
    for (const line of text.subarray(0, valid).toString('utf8').split('\n')) {
      if (!line) continue;
      try {
        records.push(JSON.parse(line) as R);
      } catch {
        this.opts.log(`skipped an unreadable line in ${file}`);
      }
    }
    // only the last append of a crashed process can be torn, and it was never acknowledged
    if (valid < text.length) this.opts.log(`skipped a torn last line in ${file}`);
    return { records, valid };
  }

  private unlink(file: string): void {
    try {
      unlinkSync(file);
    } catch {
      // already gone
    }
  }
}
