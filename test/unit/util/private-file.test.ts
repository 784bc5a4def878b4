import { chmodSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CantCreateError } from '../../../src/errors.js';
import { exitCodeFor } from '../../../src/output/exit-codes.js';
import { makePrivateDirs, PrivateFileWriter, writePrivateFile } from '../../../src/util/private-file.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-private-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o777;
const writeSync = (file: string, text: string) => {
  const w = new PrivateFileWriter(file);
  w.write(text);
  w.close();
};

describe('private files', () => {
  it('whatever mode an existing target had, it ends 0600 with only the new contents (sync and async writers)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0o200, max: 0o777 }), fc.boolean(), async (before, async) => {
        const file = path.join(dir, 'out.csv');
        writeFileSync(file, 'old contents that are longer than the new\n');
        chmodSync(file, before | 0o200);
        if (async) await writePrivateFile(file, 'new\n');
        else writeSync(file, 'new\n');
        expect(mode(file)).toBe(0o600);
        expect(readFileSync(file, 'utf8')).toBe('new\n');
      }),
      { numRuns: 40 },
    );
  });

  it('a new file is 0600 whatever the umask', () => {
    const old = process.umask(0);
    try {
      writeSync(path.join(dir, 'new.csv'), 'x');
    } finally {
      process.umask(old);
    }
    expect(mode(path.join(dir, 'new.csv'))).toBe(0o600);
  });

  it('a symlink is never followed: exit 73, and the file it points at is untouched', async () => {
    const target = path.join(dir, 'target');
    writeFileSync(target, 'precious');
    chmodSync(target, 0o644);
    const link = path.join(dir, 'link.csv');
    symlinkSync(target, link);
    for (const write of [() => writeSync(link, 'evil'), () => writePrivateFile(link, 'evil')] as Array<() => void | Promise<void>>) {
      let error: unknown;
      try {
        await write();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CantCreateError);
      expect((error as CantCreateError).code).toBe('symlink_refused');
      expect(exitCodeFor(error)).toBe(73);
    }
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(mode(target)).toBe(0o644);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
  });

  it('a missing folder is exit 73 naming the path; folders mkt creates are 0700', () => {
    const file = path.join(dir, 'no', 'such', 'r.csv');
    expect(() => writeSync(file, 'x')).toThrow(/the folder .*no\/such does not exist/);
    makePrivateDirs(path.join(dir, 'a', 'b'));
    expect(mode(path.join(dir, 'a'))).toBe(0o700);
    expect(mode(path.join(dir, 'a', 'b'))).toBe(0o700);
    const w = new PrivateFileWriter(path.join(dir, 'c', 'd', 'f'), { createDirs: true });
    w.close();
    expect(mode(path.join(dir, 'c', 'd'))).toBe(0o700);
  });

  it('replace: the old contents stay until close renames the whole new file in (0600); abandon keeps the old file and removes the temporary one', () => {
    const file = path.join(dir, 'r.csv');
    writeFileSync(file, 'old\n');
    chmodSync(file, 0o644);
    const failed = new PrivateFileWriter(file, { replace: true });
    failed.write('half');
    failed.abandon();
    expect(readFileSync(file, 'utf8')).toBe('old\n');
    expect(readdirSync(dir)).toEqual(['r.csv']);
    const w = new PrivateFileWriter(file, { replace: true });
    w.write('x'.repeat(1 << 17));
    expect(readFileSync(file, 'utf8')).toBe('old\n');
    w.close();
    expect(readFileSync(file, 'utf8')).toHaveLength(1 << 17);
    expect(mode(file)).toBe(0o600);
    expect(readdirSync(dir)).toEqual(['r.csv']);
  });

  it('replace: a symlink or a folder at the target is refused (73) and untouched; a missing folder is 73 naming the target', () => {
    const target = path.join(dir, 'target');
    writeFileSync(target, 'precious');
    const link = path.join(dir, 'link.csv');
    symlinkSync(target, link);
    expect(() => new PrivateFileWriter(link, { replace: true })).toThrow(expect.objectContaining({ code: 'symlink_refused' }));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(target, 'utf8')).toBe('precious');
    expect(() => new PrivateFileWriter(dir, { replace: true })).toThrow(expect.objectContaining({ code: 'not_a_file' }));
    expect(() => new PrivateFileWriter(path.join(dir, 'no', 'r.csv'), { replace: true })).toThrow(/cannot create .*no\/r\.csv: the folder .*no does not exist/);
  });
});
