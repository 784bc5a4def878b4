import { statSync } from 'node:fs';
import path from 'node:path';
import type { OpenMode, Store } from '../db/open.js';
import type { Repositories } from '../db/repositories.js';
import type { TrackingStore } from '../db/tracking-store.js';
import { describeTarget, parseDbTarget, type DbTarget } from '../db/target.js';
import { ConfigError } from '../errors.js';
import { makeColour, type Colour } from '../output/colour.js';
import { DEFAULT_CONCURRENCY } from '../providers/types.js';
import type { Io } from '../output/io.js';
import { redact } from '../util/redact.js';
import { defaultDbPath, findWorkspace } from '../workspace/locate.js';
import { connectWithinMs } from './connect-deadline.js';
import type { Prompter } from './prompter.js';

export interface GlobalOptions {
  workspace?: string;
  db?: string;
  json?: boolean;
  color?: boolean;
  verbose?: boolean;
}

export interface ContextDeps {
  prompter: Prompter;
  /** The clock; MKT_NOW (ISO time) freezes it for reproducible runs and tests. */
  now: () => Date;
  cwd: string;
}

/**
 * What a command handler gets: resolved global options, the output channels and a lazily
 * opened store. Only src/cli knows about this; core modules receive plain values.
 */
export class CliContext {
  readonly workspace: string;
  /** The store --db / MKT_DB names: an SQLite file (the default) or a postgres:// URL. */
  readonly dbTarget: DbTarget;
  /** The SQLite file; for a PostgreSQL target its redacted URL (never a password). */
  readonly dbPath: string;
  /** Where the store's name came from (said with -v): --db, MKT_DB or the workspace default. */
  readonly dbSource: string;
  readonly json: boolean;
  readonly verbose: boolean;
  /** Colours and progress bars only for a person at a terminal. */
  readonly tty: boolean;
  /** Whether we may ask questions: both ends are a terminal and this is not CI. */
  readonly interactive: boolean;
  /** Colour for talk on stderr (warnings, the progress bar): only when stderr is a terminal. */
  readonly colour: Colour;
  /** Colour for results on stdout (states in status, list, show): only when stdout is a terminal. */
  readonly outColour: Colour;
  private storeHandle?: Store;
  /** Set when the SQLite file is marked moved (src/db/store-moved.ts): a write is refused with it. */
  private movedError?: ConfigError;
  private pgRepositories?: Promise<Repositories>;
  /** Requests in flight the PostgreSQL pool is sized for (`sizePoolFor`); default: a send's default concurrency. */
  private concurrency = DEFAULT_CONCURRENCY;

  constructor(
    readonly io: Io,
    opts: GlobalOptions,
    readonly deps: ContextDeps,
  ) {
    this.workspace = opts.workspace ? existingFolder(path.resolve(deps.cwd, opts.workspace)) : findWorkspace(deps.cwd);
    const envDb = io.env.MKT_DB;
    this.dbTarget = parseDbTarget(opts.db || envDb || defaultDbPath(this.workspace), deps.cwd);
    this.dbPath = this.dbTarget.kind === 'sqlite' ? this.dbTarget.path : describeTarget(this.dbTarget);
    this.dbSource = opts.db ? 'from --db' : envDb ? 'from MKT_DB' : 'the workspace default; set MKT_DB or --db for another';
    this.json = Boolean(opts.json);
    this.verbose = Boolean(opts.verbose);
    this.tty = Boolean(io.stderr.isTTY);
    this.interactive = io.stdinIsTTY && Boolean(io.stdout.isTTY) && !io.env.CI;
    // NO_COLOR (https://no-color.org): any non-empty value turns colour off, as --no-color does
    const colourWanted = opts.color !== false && !io.env.NO_COLOR;
    this.colour = makeColour(colourWanted && this.tty);
    this.outColour = makeColour(colourWanted && Boolean(io.stdout.isTTY));
  }

  get prompter(): Prompter {
    return this.deps.prompter;
  }

  now(): Date {
    return this.deps.now();
  }

  /**
   * The SQLite store, opened on first use (commands that do not need it never open it). A command
   * that only reads asks for `read`: then a missing database is an error (78), never created.
   * Commands not yet ported to the repositories refuse a PostgreSQL target (78).
   */
  async store(mode: OpenMode = 'write'): Promise<Store> {
    if (this.dbTarget.kind === 'postgres') {
      throw new ConfigError('store_unsupported', `this command does not run on a PostgreSQL store yet (${this.dbPath})`, {
        hint: 'README "PostgreSQL" lists the commands that run on it; use an SQLite file (--db path) for this one',
      });
    }
    if (!this.storeHandle) {
      this.debug(this.storeLine());
      const [{ openStore }, { recheckStoredAddresses }, moved] = await Promise.all([import('../db/open.js'), import('../customers/recheck.js'), import('../db/store-moved.js')]);
      const handle = openStore(this.dbPath, mode, { recheck: recheckStoredAddresses });
      for (const w of handle.warnings) this.warn(w);
      // a file moved up to PostgreSQL (db copy) is not the live store: no write, no send from it
      const mark = moved.movedTo(handle.sqlite);
      if (mark && mode === 'write') {
        handle.close();
        throw moved.storeMovedError(this.dbPath, mark);
      }
      if (mark) {
        this.warn(moved.movedWarning(this.dbPath, mark));
        this.movedError = moved.storeMovedError(this.dbPath, mark);
      }
      this.storeHandle = handle;
      if (mode === 'write') {
        const { sqliteTrackingStore } = await import('../db/sqlite-tracking.js');
        await this.replaySpools(sqliteTrackingStore(this.storeHandle));
      }
    }
    // opened to read first, then asked to write: still refused
    if (mode === 'write' && this.movedError) throw this.movedError;
    return this.storeHandle;
  }

  /**
   * The store opened to read, or undefined when there is no database yet: for a command whose
   * result does not need one (a segment file written, a dry run), where a missing database is
   * something to say, not an error, and must not be created. Every other fault still throws.
   */
  async existingStore(): Promise<Store | undefined> {
    try {
      return await this.store('read');
    } catch (e) {
      if (e instanceof ConfigError && e.code === 'no_database') return undefined;
      throw e;
    }
  }

  /**
   * The store of either kind through its repositories, or undefined when there is no SQLite
   * database yet (the rule of `existingStore`); a PostgreSQL store always exists once reachable.
   */
  async existingRepositories(): Promise<Repositories | undefined> {
    if (this.dbTarget.kind === 'sqlite' && !(await this.existingStore())) return undefined;
    return this.repositories('read');
  }

  /** Where `mkt serve` spools for this store: beside the SQLite file, or in the workspace for PostgreSQL (serve-spool.ts). */
  async spoolBase(): Promise<string> {
    const { serveSpoolBase } = await import('../compliance/serve-spool.js');
    return serveSpoolBase(this.dbTarget, defaultDbPath(this.workspace));
  }

  /**
   * What a stopped `mkt serve` spooled goes into the store before this command writes
   * (serve-replay.ts); on PostgreSQL first what a server spooled beside the workspace's SQLite
   * file after `db copy` moved that file here.
   */
  private async replaySpools(store: TrackingStore): Promise<void> {
    const { hasSpools } = await import('../compliance/serve-spool.js');
    const log = (line: string) => this.debug(line);
    if (this.dbTarget.kind === 'postgres') {
      const file = defaultDbPath(this.workspace);
      const { replayMovedSpools } = await import('../compliance/serve-replay.js');
      const moved = await replayMovedSpools(store, this.dbTarget.url, file, log);
      if ('waitFor' in moved) this.warn(`mkt serve spooled records beside ${file} after it was moved to ${moved.waitFor}, not to this database: they are replayed by the next command that writes to ${moved.waitFor}`);
      else if ('applied' in moved && moved.applied > 0) this.info(`applied ${moved.applied} opt-out(s), event(s) and hit batch(es) that mkt serve had spooled beside ${file} after it was moved here`);
    }
    const base = await this.spoolBase();
    if (!hasSpools(base)) return;
    const { replayServeSpools } = await import('../compliance/serve-replay.js');
    const n = await replayServeSpools(store, base, log);
    if (n > 0) this.info(`applied ${n} opt-out(s) and event(s) that mkt serve had spooled while the database was busy`);
  }

  /**
   * The store of either kind (SQLite or PostgreSQL) through its repositories, opened on first
   * use; on SQLite the same handle as `store(mode)`, with its read/write rules.
   */
  async repositories(mode: OpenMode = 'write'): Promise<Repositories> {
    if (this.dbTarget.kind === 'sqlite') {
      const { migrationsRecorded, sqliteRepositories } = await import('../db/sqlite-repositories.js');
      const before = this.storeHandle ? undefined : migrationsRecorded(this.dbTarget.path);
      return sqliteRepositories(await this.store(mode), before);
    }
    if (!this.pgRepositories) {
      this.debug(this.storeLine());
      this.pgRepositories = import('../db/connect.js')
        .then((m) => m.openRepositories(this.dbTarget, { poolSize: m.poolSizeFor(this.concurrency), connectWithinMs: connectWithinMs(this.io.env) }))
        // as on SQLite: what a stopped serve spooled is applied before this command writes
        .then(async (repos) => (mode === 'write' ? (await this.replaySpools(repos.tracking), repos) : repos));
      // a failed open is reported by the caller's await, not again here
      this.pgRepositories.catch(() => {});
    }
    return this.pgRepositories;
  }

  /** The -v line naming the store a command uses (the URL with its password as ***). */
  private storeLine(): string {
    return `store: ${this.dbTarget.kind === 'postgres' ? 'PostgreSQL' : 'SQLite'} at ${this.dbPath} (${this.dbSource})`;
  }

  /** Sizes the PostgreSQL pool for `concurrency` requests in flight (`send --concurrency`); before the store is opened. */
  sizePoolFor(concurrency: number): void {
    this.concurrency = concurrency;
  }

  async close(): Promise<void> {
    this.storeHandle?.close();
    this.storeHandle = undefined;
    const repos = this.pgRepositories;
    this.pgRepositories = undefined;
    if (repos) await repos.then((r) => r.close(), () => {});
  }

  /** Prints a command's result: the value as one JSON document with --json, else the human text. */
  result<T>(value: T, human: (v: T) => string): void {
    const text = this.json ? JSON.stringify(value, null, 2) + '\n' : human(value);
    this.io.stdout.write(redact(text));
  }

  /** Talk for a person (progress, hints): stderr, never stdout. */
  info(message: string): void {
    this.io.stderr.write(redact(message.endsWith('\n') ? message : message + '\n'));
  }

  warn(message: string): void {
    this.info(`${this.colour.yellow('warning:')} ${message}`);
  }

  debug(message: string): void {
    if (this.verbose) this.info(this.colour.dim(message));
  }
}

/** `-w` must name a folder that exists: a typo must not become a fresh, empty workspace. */
function existingFolder(dir: string): string {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // reported below
  }
  if (!isDir) throw new ConfigError('no_workspace', `no workspace folder at ${dir}`, { hint: 'check -w / --workspace (the folder must exist)' });
  return dir;
}
