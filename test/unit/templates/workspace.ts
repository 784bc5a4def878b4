import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach } from 'vitest';
import { tempWorkspace } from '../../support/cli.js';

/** A throw-away workspace; `files` maps paths under it (templates/sms/x.txt) to contents. */
export function workspaceWith(files: Record<string, string>): string {
  const ws = tempWorkspace();
  cleanups.push(ws.cleanup);
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(ws.dir, rel)), { recursive: true });
    writeFileSync(path.join(ws.dir, rel), text);
  }
  return ws.dir;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
