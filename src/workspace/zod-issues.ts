/**
 * zod's validation issues as workspace Issues, each at the line:col of the value it is about
 * (an unknown key at the key itself), without zod's "Invalid input: " preamble.
 */
import type { z } from 'zod';
import type { YamlPath } from './issue.js';
import type { YamlFile } from './yaml-file.js';

/** A file kind's own wording for an issue (say, a union of shapes); undefined keeps zod's. An unknown key comes one key at a time. */
export type ZodWording = (issue: z.core.$ZodIssue, path: YamlPath) => string | undefined;

export function addZodIssues(file: YamlFile, base: YamlPath, error: Pick<z.ZodError, 'issues'>, wording?: ZodWording): void {
  for (const issue of error.issues) {
    const p = [...base, ...(issue.path as YamlPath)];
    if (issue.code === 'unrecognized_keys') {
      for (const k of issue.keys) file.add([...p, k], wording?.({ ...issue, keys: [k] }, [...p, k]) ?? `unknown key "${k}"`, 'invalid', true);
    } else {
      file.add(p, wording?.(issue, p) ?? issue.message.replace(/^Invalid input: /, ''));
    }
  }
}
