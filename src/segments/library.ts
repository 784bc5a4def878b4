/**
 * The segments of a workspace: finds definition files, parses each once, and resolves
 * `segment: <name>` references into one filter — reporting unknown names and cycles at the
 * reference that causes them.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SourcePosition } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import type { Cond, Filter } from './ast.js';
import { checkLimits } from './limits.js';
import { parseSegmentText, SEGMENT_NAME, type SegmentDefinition, type SegmentIssue } from './parse.js';

export const SEGMENTS_DIR = 'segments';
const EXTENSIONS = ['.yaml', '.yml'];

/** Where definitions come from: the workspace folder, or a map in tests. */
export interface SegmentSource {
  names(): Promise<string[]>;
  /** the file as shown in messages and its text, or undefined when there is no such segment */
  read(name: string): Promise<{ file: string; text: string } | undefined>;
}

export function directorySource(workspace: string): SegmentSource {
  const dir = path.join(workspace, SEGMENTS_DIR);
  return {
    async names() {
      let entries: string[];
      try {
        entries = await readdir(dir);
      } catch {
        return [];
      }
      const names = entries.filter((f) => EXTENSIONS.includes(path.extname(f))).map((f) => f.slice(0, -path.extname(f).length));
      // names that are not usable are listed too, so that `segment validate` can point at them
      return [...new Set(names)].sort();
    },
    async read(name) {
      if (!SEGMENT_NAME.test(name)) return undefined;
      for (const ext of EXTENSIONS) {
        const file = path.join(dir, name + ext);
        try {
          return { file: path.join(SEGMENTS_DIR, name + ext), text: await readFile(file, 'utf8') };
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
        }
      }
      return undefined;
    },
  };
}

export function memorySource(texts: Record<string, string>): SegmentSource {
  return {
    names: async () => Object.keys(texts).sort(),
    read: async (name) => (Object.prototype.hasOwnProperty.call(texts, name) ? { file: `${SEGMENTS_DIR}/${name}.yaml`, text: texts[name]! } : undefined),
  };
}

export interface Resolved {
  /** the definition as parsed, when the file exists */
  def?: SegmentDefinition;
  /** the filter with references inlined; undefined when anything it depends on is broken */
  filter?: Filter;
  /** every problem in this segment and in the segments it uses */
  issues: SegmentIssue[];
}

export class SegmentLibrary {
  private readonly parsed = new Map<string, Promise<{ def: SegmentDefinition; issues: SegmentIssue[] } | undefined>>();
  private readonly resolved = new Map<string, { filter?: Filter; issues: SegmentIssue[] }>();

  constructor(readonly source: SegmentSource) {}

  names(): Promise<string[]> {
    return this.source.names();
  }

  /** The parsed definition of one file (cached), or undefined when it does not exist. */
  definition(name: string): Promise<{ def: SegmentDefinition; issues: SegmentIssue[] } | undefined> {
    let p = this.parsed.get(name);
    if (!p) {
      p = this.source.read(name).then((src) => src && parseSegmentText(name, src.file, src.text));
      this.parsed.set(name, p);
    }
    return p;
  }

  /** Resolves a named segment; undefined when no such file exists. */
  async resolve(name: string): Promise<Resolved | undefined> {
    const parsed = await this.definition(name);
    if (!parsed) return undefined;
    const r = await this.resolveNamed(name, []);
    // limits hold for the whole filter with its references inlined, so they are checked here
    // (per segment as used), not in resolveNamed's cache of the parts
    const limits = r.filter ? checkLimits(r.filter, parsed.def.whereAt ?? { file: parsed.def.file }) : [];
    return { def: parsed.def, filter: limits.length ? undefined : r.filter, issues: dedupe([...r.issues, ...limits]) };
  }

  /** Resolves a condition that is not (yet) in a file, e.g. in the interactive builder. */
  async resolveCond(cond: Cond, stack: string[] = [], at: SourcePosition = { file: '(new segment)' }): Promise<{ filter?: Filter; issues: SegmentIssue[] }> {
    const issues: SegmentIssue[] = [];
    const filter = await this.inline(cond, stack, issues);
    if (filter && issues.length === 0) issues.push(...checkLimits(filter, at));
    return { filter: issues.length ? undefined : filter, issues: dedupe(issues) };
  }

  private async resolveNamed(name: string, stack: string[]): Promise<{ filter?: Filter; issues: SegmentIssue[] }> {
    const done = this.resolved.get(name);
    if (done) return done;
    const parsed = (await this.definition(name))!;
    const issues = [...parsed.issues];
    let filter: Filter | undefined;
    if (parsed.issues.length === 0 && parsed.def.where) filter = await this.inline(parsed.def.where, [...stack, name], issues);
    // a file that did not parse may still name unknown segments or close a cycle: report those too
    else for (const ref of parsed.def.refs) await this.inline(ref, [...stack, name], issues);
    const result = { filter: issues.length === 0 ? filter : undefined, issues };
    this.resolved.set(name, result);
    return result;
  }

  private async inline(cond: Cond, stack: string[], issues: SegmentIssue[]): Promise<Filter | undefined> {
    switch (cond.kind) {
      case 'all':
      case 'any': {
        // one after the other, so that problems are reported in file order
        const items: Array<Filter | undefined> = [];
        for (const c of cond.items) items.push(await this.inline(c, stack, issues));
        return items.every((i) => i !== undefined) ? { kind: cond.kind, items: items, at: cond.at } : undefined;
      }
      case 'not': {
        const item = await this.inline(cond.item, stack, issues);
        return item && { kind: 'not', item, at: cond.at };
      }
      case 'ref': {
        if (stack.includes(cond.name)) {
          const cycle = [...stack.slice(stack.indexOf(cond.name)), cond.name];
          issues.push({ ...cond.at, message: `segment cycle: ${cycle.join(' → ')}` });
          return undefined;
        }
        if (!(await this.definition(cond.name))) {
          issues.push({ ...cond.at, message: `unknown segment "${cond.name}"${didYouMean(cond.name, await this.names())}` });
          return undefined;
        }
        const r = await this.resolveNamed(cond.name, stack);
        issues.push(...r.issues);
        return r.filter;
      }
      default:
        return cond;
    }
  }
}

function dedupe(issues: SegmentIssue[]): SegmentIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const key = `${i.file}:${i.line}:${i.col}:${i.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
