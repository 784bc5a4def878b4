import { existsSync } from 'node:fs';
import path from 'node:path';

/** The nearest folder from `start` upward that holds providers.yaml, else `start` itself. */
export function findWorkspace(start: string): string {
  let dir = path.resolve(start);
  for (;;) {
    if (existsSync(path.join(dir, 'providers.yaml'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(start);
    dir = parent;
  }
}

export function defaultDbPath(workspace: string): string {
  return path.join(workspace, '.mkt', 'mkt.db');
}
