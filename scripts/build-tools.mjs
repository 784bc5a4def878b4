// Whether this checkout can compile src/: TypeScript and the @types packages among the dev
// dependencies are installed. TypeScript alone says nothing: `npm ci --omit=dev` installs it
// anyway (an optional peer of cosmiconfig, a production dependency of mjml), without the types.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The path of tsc when every build tool is installed, else undefined. */
export function buildTools() {
  const { devDependencies = {} } = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const needed = Object.keys(devDependencies).filter((name) => name === 'typescript' || name.startsWith('@types/'));
  const installed = needed.every((name) => existsSync(path.join(ROOT, 'node_modules', name, 'package.json')));
  return installed ? path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc') : undefined;
}
