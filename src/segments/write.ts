/** Writing definition files (`segment create`): the same YAML shape people write by hand. */
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Document, isMap, isScalar, visit } from 'yaml';
import { UsageError } from '../errors.js';
import type { RuleEntry } from './rules.js';
import { COMBINATORS, SEGMENT_NAME } from './parse.js';
import { SEGMENTS_DIR } from './library.js';

/** `where:` for a list of conditions that must all hold. */
export function whereOf(entries: RuleEntry[]): RuleEntry {
  return entries.length === 1 ? entries[0]! : { all: entries };
}

/** The YAML text of a definition; operator maps in flow style (`lifetime_value: { gt: 500 }`). */
export function definitionYaml(description: string | undefined, entries: RuleEntry[]): string {
  const doc = new Document({ ...(description ? { description } : {}), where: whereOf(entries) });
  visit(doc, {
    Pair(_key, pair) {
      const k = isScalar(pair.key) ? String(pair.key.value) : '';
      if (isMap(pair.value) && !(COMBINATORS as readonly string[]).includes(k) && k !== 'where') pair.value.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

export function segmentFile(workspace: string, name: string): string {
  return path.join(workspace, SEGMENTS_DIR, `${name}.yaml`);
}

export function checkSegmentName(name: string): void {
  if (!SEGMENT_NAME.test(name)) {
    throw new UsageError(`"${name}" is not a usable segment name`, { hint: 'use letters, digits, "-" and "_", starting with a letter or digit (it becomes the file name)' });
  }
}

/** Refuses to replace an existing definition unless forced. */
export function checkCanWrite(workspace: string, name: string, force: boolean): void {
  checkSegmentName(name);
  if (!force && existsSync(segmentFile(workspace, name))) {
    throw new UsageError(`segment "${name}" already exists (${SEGMENTS_DIR}/${name}.yaml)`, { code: 'segment_exists', hint: 'pass --force to replace it' });
  }
}

/** Writes the file atomically (temp file + rename), creating `segments/` if needed. */
export async function writeSegmentFile(workspace: string, name: string, text: string): Promise<string> {
  const file = segmentFile(workspace, name);
  await mkdir(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, file);
  return path.join(SEGMENTS_DIR, `${name}.yaml`);
}
