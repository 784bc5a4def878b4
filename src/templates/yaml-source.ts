import { YamlFile } from '../workspace/yaml-file.js';
import type { Diagnostics } from './diagnostics.js';

/** A parsed YAML text that can say where (file line:col) any of its values sits. */
export interface YamlSource {
  data: unknown;
  /** 1-based file position of the value at `path` (or of the nearest existing parent). */
  pos(path: Array<string | number>): { line: number; col: number };
}

/**
 * Parses YAML that starts at `firstLine` of `file` (front matter starts at line 2), reporting
 * syntax errors and alias bombs as file:line:col. Returns undefined when the YAML is unreadable.
 */
export function parseYamlSource(text: string, file: string, diags: Diagnostics, firstLine = 1): YamlSource | undefined {
  const source = new YamlFile(file, text, { firstLine });
  diags.errors.push(...source.issues);
  if (!source.readable) return undefined;
  return { data: source.data(), pos: (path) => source.pos(path) };
}

export interface FrontMatterSplit {
  /** The YAML between the `---` lines ('' when there is none). */
  yaml: string;
  /** Line of the file where the YAML starts. */
  yamlLine: number;
  body: string;
  /** Line of the file where the body starts. */
  bodyLine: number;
}

/** Splits `---\n<yaml>\n---\n<body>`; a file without a leading `---` line is all body. */
export function splitFrontMatter(text: string): FrontMatterSplit | { error: string } {
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const first = /^---[ \t]*\r?\n/.exec(src);
  if (!first) return { yaml: '', yamlLine: 1, body: src, bodyLine: 1 };
  const rest = src.slice(first[0].length);
  const close = /^---[ \t]*(\r?\n|$)/m.exec(rest);
  if (!close) return { error: 'front matter starts with --- on line 1 but has no closing --- line' };
  const yaml = rest.slice(0, close.index);
  const body = rest.slice(close.index + close[0].length);
  const yamlLines = yaml.split('\n').length - (yaml.endsWith('\n') || yaml === '' ? 1 : 0);
  return { yaml, yamlLine: 2, body, bodyLine: 2 + yamlLines + 1 };
}

/** Where the text of a scalar at `path` starts (inside the quotes of a quoted scalar). */
export function originAt(source: YamlSource | undefined, path: Array<string | number>, file: string, text: string): { file: string; line: number; col: number } {
  const p = source?.pos(path) ?? { line: 1, col: 1 };
  const lineText = text.split('\n')[p.line - 1] ?? '';
  const quoted = lineText[p.col - 1] === '"' || lineText[p.col - 1] === "'";
  return { file, line: p.line, col: p.col + (quoted ? 1 : 0) };
}
