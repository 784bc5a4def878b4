/**
 * scripts/prepare.mjs, npm's `prepare` hook, in a copy of the package root: a production install
 * in a checkout (no dev dependencies) keeps a built dist/ instead of failing on the compile, and
 * without one it stops with what to do.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../../support/cli.js';

let dir: string | undefined;
afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

/** A package root with mkt's package.json and scripts, and no node_modules. */
function bareCheckout(): string {
  dir = mkdtempSync(path.join(os.tmpdir(), 'mkt-prepare-'));
  cpSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
  cpSync(path.join(ROOT, 'scripts'), path.join(dir, 'scripts'), { recursive: true });
  return dir;
}
function withBuiltDist(root: string): string {
  mkdirSync(path.join(root, 'dist', 'cli'), { recursive: true });
  writeFileSync(path.join(root, 'dist', 'cli', 'main.js'), 'export {};\n');
  return root;
}
const prepare = (root: string) => spawnSync(process.execPath, [path.join(root, 'scripts', 'prepare.mjs')], { cwd: root, encoding: 'utf8' });

describe('scripts/prepare.mjs without the dev dependencies', () => {
  it('keeps a built dist/ (exit 0)', () => {
    const r = prepare(withBuiltDist(bareCheckout()));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('using the dist/ already built');
  });

  it('with TypeScript but no @types (what `npm ci --omit=dev` installs) it still does not compile', () => {
    const root = bareCheckout();
    cpSync(path.join(ROOT, 'node_modules', 'typescript'), path.join(root, 'node_modules', 'typescript'), { recursive: true });
    const r = prepare(withBuiltDist(root));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toContain('using the dist/ already built');
  });

  it('without dist/ stops with the two ways to a working mkt (exit 1)', () => {
    const r = prepare(bareCheckout());
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('npm ci && npm run build');
    expect(r.stderr).toContain('npm install -g ./mkt-*.tgz');
  });
});
