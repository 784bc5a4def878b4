/**
 * The one shape of a problem in a workspace file (providers.yaml, mkt.yaml, segments, template
 * front matter, campaign files): where it is, which value, and what is wrong. Every parser in
 * src/workspace/ produces these; each file kind only decides how a list of them is thrown.
 */
import { formatPosition, type SourcePosition } from '../errors.js';

/** A path into a YAML document: map keys and sequence indexes, `['providers', 0, 'rate']`. */
export type YamlPath = Array<string | number>;

export interface Issue extends SourcePosition {
  /** The YAML path as people write it (`providers[0].rate`), where the file kind names one. */
  path?: string;
  message: string;
  /** Why, for file kinds whose exit code depends on it (a missing variable, a literal secret). */
  code?: IssueCode;
}

export type IssueCode = 'invalid' | 'env_missing' | 'literal_secret';

/** `providers[0].senders[1]` */
export function formatPath(p: YamlPath): string {
  return p.reduce<string>((acc, seg) => (typeof seg === 'number' ? `${acc}[${seg}]` : acc ? `${acc}.${seg}` : seg), '');
}

/** `file:line:col: path: message` (the path only where there is one). */
export function formatIssue(issue: Issue): string {
  return `${formatPosition(issue)}: ${issue.path ? issue.path + ': ' : ''}${issue.message}`;
}
