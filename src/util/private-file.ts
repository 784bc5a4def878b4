/**
 * Every file mkt writes that holds customer data (reports, rejects, outbox messages) goes
 * through here: created 0600, never through a symlink (O_NOFOLLOW), an existing looser file is
 * set to 0600 before a byte is written (or refused when it is not ours to tighten), and folders
 * mkt creates are 0700. Failures become typed errors: 73 when the file cannot be created, 74
 * when the disk is full or fails.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, constants, createWriteStream, fchmodSync, fstatSync, fsyncSync, ftruncateSync, lstatSync, mkdirSync, openSync, renameSync, statfsSync, statSync, unlinkSync, writeSync, type WriteStream } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { CantCreateError, MktError, StorageIoError } from '../errors.js';

export interface PrivateFileOptions {
  /** Append instead of replacing the contents. */
  append?: boolean;
  /** Create missing folders (0700). Off for --out: a mistyped folder is the operator's to fix. */
  createDirs?: boolean;
  /**
   * Write a temporary file beside `file` and rename it into place on close (PrivateFileWriter
   * only): a command that fails before or while writing leaves an existing file as it was.
   */
  replace?: boolean;
}

// O_NONBLOCK: opening a FIFO with no reader fails (ENXIO) instead of hanging; no effect on files.
const FLAGS = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK;

/** Magic numbers (statfs f_type) of kernel pseudo file systems, where no file of ours belongs. */
const PSEUDO_FS = new Set([0x9fa0 /* proc */, 0x62656572 /* sysfs */, 0x1cd1 /* devpts */, 0x27e0eb /* cgroup */, 0x63677270 /* cgroup2 */, 0x64626720 /* debugfs */, 0x74726163 /* tracefs */, 0x73636673 /* securityfs */, 0xcafe4a11 /* bpf */]);

/** Whether `p` (or its nearest existing ancestor) lives on /proc, /sys or a similar kernel file system. */
export function onPseudoFileSystem(p: string): boolean {
  for (let dir = path.resolve(p); ; dir = path.dirname(dir)) {
    try {
      return PSEUDO_FS.has(Number(statfsSync(dir).type));
    } catch {
      if (path.dirname(dir) === dir) return false;
    }
  }
}

/**
 * Creates the missing folders of `dir`, each 0700, one level at a time (bounded by the depth of
 * the path: Node's recursive mkdir spins forever on some /proc paths). Throws the raw errno.
 */
export function makePrivateDirs(dir: string): void {
  const missing: string[] = [];
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      if (!statSync(d).isDirectory()) throw Object.assign(new Error(`${d} is not a folder`), { code: 'ENOTDIR' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT' || path.dirname(d) === d) throw e;
      missing.push(d);
    }
  }
  if (missing.length && onPseudoFileSystem(dir)) throw Object.assign(new Error(`${dir} is on a kernel pseudo file system`), { code: 'EPERM' });
  for (const d of missing.reverse()) mkdirSync(d, { mode: 0o700 });
}

/** The typed error of a failed file operation on `file`. */
export function fileError(error: unknown, file: string): MktError {
  if (error instanceof MktError) return error;
  const code = (error as NodeJS.ErrnoException).code ?? 'EIO';
  const why = (error as Error).message;
  if (code === 'ENOSPC' || code === 'EDQUOT' || code === 'EFBIG') {
    return new StorageIoError('disk_full', `the disk is full: cannot write ${file} (${code})`, { cause: error, hint: 'free space on that disk (or raise the file-size limit), then run the command again', details: { path: file } });
  }
  if (code === 'EIO') return new StorageIoError('io_error', `I/O error writing ${file}: ${why}`, { cause: error, details: { path: file } });
  if (code === 'ENOENT') {
    return new CantCreateError('folder_missing', `cannot create ${file}: the folder ${path.dirname(file)} does not exist`, { cause: error, hint: 'create the folder first, or give another path', details: { path: file } });
  }
  if (code === 'ELOOP') {
    return new CantCreateError('symlink_refused', `${file} is a symbolic link; not writing through it`, { cause: error, hint: 'give the real path, or remove the link', details: { path: file } });
  }
  return new CantCreateError('cannot_create', `cannot create ${file} (${code}): ${why}`, { cause: error, hint: 'check the path and its folder permissions', details: { path: file } });
}

/** Refuses what is not a regular file; whether its mode is anything but 0600 and must be set first. */
function needsTightening(file: string, st: { isFile(): boolean; mode: number }): boolean {
  if (!st.isFile()) throw new CantCreateError('not_a_file', `${file} is not a regular file; not writing to it`, { details: { path: file } });
  return (st.mode & 0o777) !== 0o600;
}

function cannotTighten(file: string, mode: number, cause: unknown): CantCreateError {
  return new CantCreateError('loose_permissions', `${file} is readable by others (mode ${(mode & 0o777).toString(8)}) and cannot be made private`, { cause, hint: 'remove it or give another path', details: { path: file } });
}

/** Opens `file` for writing as a private file and returns its descriptor. */
export function openPrivateFile(file: string, opts: PrivateFileOptions = {}): number {
  let fd: number | undefined;
  try {
    if (opts.createDirs) makePrivateDirs(path.dirname(file));
    fd = openSync(file, FLAGS | (opts.append ? constants.O_APPEND : 0), 0o600);
    const handle = fd;
    const st = fstatSync(handle);
    if (needsTightening(file, st)) {
      try {
        fchmodSync(handle, 0o600);
      } catch (cause) {
        throw cannotTighten(file, st.mode, cause);
      }
    }
    // truncated only after the checks: a refused file keeps its contents
    if (!opts.append) ftruncateSync(handle, 0);
    return handle;
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    throw fileError(e, file);
  }
}

/**
 * A private file written synchronously in 64 KiB pieces (reports, rejects): simple, and every
 * failure (a full disk mid-way) surfaces as a typed error at the call that caused it.
 */
export class PrivateFileWriter {
  private readonly fd: number;
  private buffer = '';
  /** With `replace`: the temporary file that becomes `file` on close. */
  private readonly temp?: string;

  constructor(
    readonly file: string,
    opts: PrivateFileOptions = {},
  ) {
    if (!opts.replace) {
      this.fd = openPrivateFile(file, opts);
      return;
    }
    checkReplaceable(file);
    this.temp = tempBeside(file);
    try {
      this.fd = openSync(this.temp, FLAGS | constants.O_EXCL, 0o600);
    } catch (e) {
      throw fileError(e, file);
    }
  }

  write(text: string): void {
    this.buffer += text;
    if (this.buffer.length >= 1 << 16) this.flush();
  }

  private flush(): void {
    try {
      if (this.buffer) writeSync(this.fd, this.buffer);
    } catch (e) {
      this.abandon();
      throw fileError(e, this.file);
    }
    this.buffer = '';
  }

  close(): void {
    this.flush();
    if (this.temp === undefined) {
      closeSync(this.fd);
      return;
    }
    try {
      // on disk before the rename, so a crash leaves the old file or the whole new one
      fsyncSync(this.fd);
      closeSync(this.fd);
      renameSync(this.temp, this.file);
    } catch (e) {
      this.abandon();
      throw fileError(e, this.file);
    }
  }

  /** Closes without flushing (after an error elsewhere); a temporary file is removed. */
  abandon(): void {
    this.buffer = '';
    try {
      closeSync(this.fd);
    } catch {
      // already closed
    }
    if (this.temp === undefined) return;
    try {
      unlinkSync(this.temp);
    } catch {
      // already gone (renamed or never written)
    }
  }
}

/** A fresh hidden name in the folder of `file` (a rename is atomic only within one file system). */
function tempBeside(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * What a replacing write refuses up front, as openPrivateFile does: a symbolic link (the rename
 * would not follow it, but the operator asked for the file it points to) and anything not a
 * regular file.
 */
function checkReplaceable(file: string): void {
  let st;
  try {
    st = lstatSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw fileError(e, file);
  }
  if (st.isSymbolicLink()) throw fileError(Object.assign(new Error('symbolic link'), { code: 'ELOOP' }), file);
  needsTightening(file, st);
}

/** A write stream onto a private file (reports, JSON lines). */
export function privateWriteStream(file: string, opts: PrivateFileOptions = {}): WriteStream {
  return createWriteStream(file, { fd: openPrivateFile(file, opts) });
}

/**
 * Opens `file` as a private file without blocking the event loop (the send path, `mkt serve`'s
 * spool), with the same rules as openPrivateFile: 0600, no symlink followed, a looser existing
 * file tightened, and truncated unless `append`. Failures are typed (73 / 74).
 */
export async function openPrivateHandle(file: string, opts: Pick<PrivateFileOptions, 'append'> = {}): Promise<FileHandle> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(file, FLAGS | (opts.append ? constants.O_APPEND : 0), 0o600);
    const h = handle;
    const st = await h.stat();
    if (needsTightening(file, st)) await h.chmod(0o600).catch((cause) => Promise.reject(cannotTighten(file, st.mode, cause)));
    if (!opts.append) await h.truncate(0);
    return h;
  } catch (e) {
    await handle?.close();
    throw fileError(e, file);
  }
}

/** Writes a whole private file (one outbox message); async, for the send path. */
export async function writePrivateFile(file: string, data: string | Uint8Array): Promise<void> {
  const handle = await openPrivateHandle(file);
  try {
    await handle.writeFile(data);
  } catch (e) {
    throw fileError(e, file);
  } finally {
    await handle.close();
  }
}
