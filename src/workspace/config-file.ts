/**
 * The two configuration files, providers.yaml and mkt.yaml: read, parse, and throw what was
 * found as one ConfigError (exit 78) listing every Issue. The error's code says the common
 * cause (a missing variable, a literal secret) when all issues share it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../errors.js';
import { formatIssue } from './issue.js';
import { YamlFile } from './yaml-file.js';

export interface ConfigKind {
  /** The file's name in the workspace and in messages. */
  file: string;
  /** The error code of a plain invalid file, e.g. `providers_invalid`. */
  invalidCode: string;
  /** The README section that shows the file's shape. */
  readme: string;
  /** The error code of an unreadable file, e.g. `providers_unreadable`. */
  unreadableCode: string;
}

/** The file's text, or undefined when the workspace has none. */
export async function readConfigText(workspace: string, kind: ConfigKind): Promise<string | undefined> {
  const full = path.join(workspace, kind.file);
  try {
    return await readFile(full, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigError(kind.unreadableCode, `cannot read ${full}: ${(e as Error).message}`);
  }
}

/** Parses the text (big integers kept); a syntax error or alias bomb is thrown at once. */
export function parseConfig(text: string, kind: ConfigKind): YamlFile {
  const file = new YamlFile(kind.file, text, { bigInts: true });
  throwIssues(file, kind);
  return file;
}

/** Throws every Issue collected so far as one ConfigError (78); nothing when there is none. */
export function throwIssues(file: YamlFile, kind: ConfigKind): void {
  const issues = file.issues;
  if (issues.length === 0) return;
  const problems = issues.map((i) => ({ at: `${i.file}:${i.line ?? 1}:${i.col ?? 1}`, path: i.path ?? '', message: i.message, code: i.code ?? 'invalid' }));
  const same = problems.every((p) => p.code === problems[0]!.code) ? problems[0]!.code : 'invalid';
  const code = same === 'invalid' ? kind.invalidCode : same;
  const message = issues.length === 1 ? formatIssue(issues[0]!) : `${file.file} has ${issues.length} problems:\n` + issues.map((i) => '  ' + formatIssue(i)).join('\n');
  const hint =
    code === 'env_missing'
      ? 'set the environment variable before running mkt'
      : code === 'literal_secret'
        ? `put the secret in an environment variable and write \`\${NAME}\` in ${file.file}`
        : `see README "${kind.readme}" for the shape of ${file.file}`;
  throw new ConfigError(code, message, { hint, details: { problems } });
}
