#!/usr/bin/env node
// npm's `prepack` hook (`npm pack`, `npm publish`): empties dist/ so the tarball holds only what
// the current src/ compiles to; the `prepare` hook that npm runs next rebuilds it. Packing without
// the dev dependencies is refused rather than shipping a stale or missing dist/.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { buildTools, ROOT } from './build-tools.mjs';

if (!buildTools()) {
  console.error('mkt: packing builds dist/ and needs the dev dependencies: run `npm ci` first');
  process.exit(1);
}
rmSync(path.join(ROOT, 'dist'), { recursive: true, force: true });
