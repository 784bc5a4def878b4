import { LineCounter, isNode, parseDocument, type Document } from 'yaml';
import type { Diagnostics } from './diagnostics.js';

/** A parsed YAML text that can say where (file line:col) any of its values sits. */
export interface YamlSource {
  data: unknown;
  /** 1-based file position of the value at `path` (or of the nearest existing parent). */
  pos(path: Array<string | number>): { line: number; col: number };
}

/**
 * Parses YAML that starts at `firstLine` of `file` (front matter starts at line 2), reporting
 * syntax errors as file:line:col. Returns undefined when the YAML is unreadable.
 */
export function parseYamlSource(text: string, file: string, diags: Diagnostics, firstLine = 1): YamlSource | undefined {
  const counter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const offset = firstLine - 1;
  const position = (index: number) => {
    const p = counter.linePos(index);
    return { line: p.line + offset, col: p.col };
  };
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const p = position(e.pos[0]);
      diags.error(file, `YAML: ${e.message.split('\n')[0]}`, p.line, p.col);
    }
    return undefined;
  }
  return {
    data: doc.toJS(),
    pos(path) {
      for (let n = path.length; n >= 0; n--) {
        const node = n === 0 ? doc.contents : doc.getIn(path.slice(0, n), true);
        if (isNode(node) && node.range) return position(node.range[0]);
      }
      return { line: firstLine, col: 1 };
    },
  };
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
