/**
 * A workspace YAML text parsed with its positions kept: syntax errors and alias bombs become
 * Issues at their line:col, and any value can be located by its path or its node. Every YAML
 * reader of the workspace (providers.yaml, mkt.yaml, segments, template front matter, campaign
 * files) starts here, so these rules are written once.
 */
import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, visit, type Document, type Node as YamlNode, type Pair } from 'yaml';
import type { SourcePosition } from '../errors.js';
import { formatPath, type Issue, type IssueCode, type YamlPath } from './issue.js';

export interface YamlFileOptions {
  /** The file line the text starts on (front matter starts on line 2). */
  firstLine?: number;
  /** Integers beyond 2^53 (phone-number ids) keep every digit, as strings. */
  bigInts?: boolean;
  /** How a syntax error reads; the default is `YAML: <the parser's first line>`. */
  syntaxMessage?: (message: string) => string;
}

const yamlMessage = (message: string) => `YAML: ${message.split('\n')[0]}`;

export class YamlFile {
  readonly issues: Issue[] = [];
  readonly doc: Document;
  /** False when the text has a syntax error or an alias bomb: its data must not be used. */
  readonly readable: boolean;
  private readonly lines = new LineCounter();
  private readonly lineOffset: number;
  private value: unknown;

  constructor(
    /** The file as shown in messages, e.g. `providers.yaml` or `segments/churn.yaml`. */
    readonly file: string,
    text: string,
    private readonly options: YamlFileOptions = {},
  ) {
    this.lineOffset = (options.firstLine ?? 1) - 1;
    this.doc = parseDocument(text, { lineCounter: this.lines, intAsBigInt: options.bigInts ?? false, uniqueKeys: true, prettyErrors: false });
    const syntax = options.syntaxMessage ?? yamlMessage;
    for (const e of this.doc.errors) this.issues.push({ ...this.position(e.pos[0]), message: syntax(e.message) });
    this.readable = this.doc.errors.length === 0 && this.guardAliases();
  }

  /**
   * An alias bomb (billion laughs) expands exponentially; yaml's toJS counts expansions and
   * throws early, so converting once here both refuses it (at the first alias) and gives the data.
   */
  private guardAliases(): boolean {
    try {
      this.value = this.doc.toJS();
      return true;
    } catch (e) {
      let first: YamlNode | undefined;
      visit(this.doc, { Alias: (_k, a) => ((first = a), visit.BREAK) });
      this.issues.push({ ...this.position(first?.range?.[0] ?? 0), message: `YAML: ${(e as Error).message} (too many alias expansions)` });
      return false;
    }
  }

  /** The document as plain values (big integers as numbers or digit strings with `bigInts`). */
  data(): unknown {
    return this.options.bigInts ? fromBigInts(this.value) : this.value;
  }

  /** File line:col of a character offset in the text. */
  position(offset: number): { file: string; line: number; col: number } {
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line: line + this.lineOffset, col };
  }

  /** Where a node (or a pair, at its key) starts; just the file when it has no place. */
  at(node: YamlNode | Pair | null | undefined): SourcePosition {
    const range = node && 'range' in node ? node.range : node && 'key' in node ? (node.key as YamlNode | null)?.range : undefined;
    return range ? this.position(range[0]) : { file: this.file };
  }

  /** Where the value at `p` starts (its key with `atKey`), or the deepest parent that exists. */
  pos(p: YamlPath, atKey = false): { file: string; line: number; col: number } {
    let node: unknown = this.doc.contents;
    let offset = isNode(node) ? (node.range?.[0] ?? 0) : 0;
    for (const [i, seg] of p.entries()) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) break;
        const key = pair.key as { range?: number[] };
        const value = pair.value as { range?: number[] } | null;
        offset = (atKey && i === p.length - 1 ? key.range?.[0] : (value?.range?.[0] ?? key.range?.[0])) ?? offset;
        node = pair.value;
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
        node = node.items[seg];
        offset = (node as { range?: number[] }).range?.[0] ?? offset;
      } else break;
    }
    return this.position(offset);
  }

  /** Records a problem with the value at `base` + `p`, naming that path. */
  add(p: YamlPath, message: string, code: IssueCode = 'invalid', atKey = false): void {
    this.issues.push({ ...this.pos(p, atKey), path: formatPath(p), message, code });
  }
}

/** Big integers (phone-number ids) keep every digit: they become strings, small ones numbers. */
export function fromBigInts(value: unknown): unknown {
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
  if (Array.isArray(value)) return value.map(fromBigInts);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fromBigInts(v)]));
  return value;
}
