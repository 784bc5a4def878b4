#!/usr/bin/env node
// npm's `prepare` hook: it runs after `npm ci` / `npm install` in a checkout and while packing.
// With the dev dependencies installed (a developer, or `npm pack`) it builds dist/. A production
// install in a checkout (`npm ci --omit=dev`) cannot compile: instead of failing, it keeps the
// dist/ that is there (built earlier, e.g. by a build stage), and only when there is none it
// stops with what to do, since no mkt could run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildTools, ROOT } from './build-tools.mjs';

const tsc = buildTools();
if (tsc) {
  const r = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
if (existsSync(path.join(ROOT, 'dist', 'cli', 'main.js'))) {
  console.error('mkt: no dev dependencies (a production install): using the dist/ already built');
  process.exit(0);
}
console.error(
  'mkt: dist/ is not built and the dev dependencies are not installed (npm ci --omit=dev), so mkt cannot run.\n' +
    '  build first:  npm ci && npm run build   (a later `npm ci --omit=dev` or `npm prune --omit=dev` keeps dist/)\n' +
    '  or install the package instead of the checkout:  npm pack && npm install -g ./mkt-*.tgz',
);
process.exit(1);
