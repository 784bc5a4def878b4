import type { Diagnostics } from './diagnostics.js';
import { originAt, parseYamlSource, splitFrontMatter, type YamlSource } from './yaml-source.js';

export interface FrontMatter {
  fields: Record<string, unknown>;
  source?: YamlSource;
  body: string;
  bodyLine: number;
}

/**
 * Reads a template file's optional YAML front matter. Keys outside `allowed` are warned about
 * (a typo like `subjet:` should not pass silently).
 */
export function readFrontMatter(text: string, file: string, allowed: string[], diags: Diagnostics): FrontMatter | undefined {
  const split = splitFrontMatter(text);
  if ('error' in split) {
    diags.error(file, split.error, 1, 1);
    return undefined;
  }
  if (split.yaml.trim() === '') return { fields: {}, body: split.body, bodyLine: split.bodyLine };
  const source = parseYamlSource(split.yaml, file, diags, split.yamlLine);
  if (!source) return undefined;
  const data = source.data;
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    diags.error(file, 'front matter must be a YAML mapping (key: value lines)', split.yamlLine, 1);
    return undefined;
  }
  const fields = data as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) {
      const p = source.pos([key]);
      diags.warn(file, `unknown front matter key "${key}" (known: ${allowed.join(', ')})`, p.line, p.col);
    }
  }
  return { fields, source, body: split.body, bodyLine: split.bodyLine };
}

/** An optional string field; anything else is reported at its position. */
export function stringField(fm: FrontMatter, key: string, file: string, diags: Diagnostics, required = false): string | undefined {
  const value = fm.fields[key];
  if (value === undefined || value === null) {
    if (required) diags.error(file, `front matter needs "${key}"`, 1, 1);
    return undefined;
  }
  if (typeof value !== 'string' || (required && value.trim() === '')) {
    const p = fm.source?.pos([key]) ?? { line: 1, col: 1 };
    diags.error(file, `"${key}" must be ${required ? 'a non-empty' : 'a'} string`, p.line, p.col);
    return undefined;
  }
  return value;
}

/** Where the Liquid of a front matter value starts (inside the quotes of a quoted scalar). */
export function valueOrigin(fm: FrontMatter, key: string, file: string, text: string): { file: string; line: number; col: number } {
  return originAt(fm.source, [key], file, text);
}
