/**
 * The interactive `segment create`: pick a field, an operator that fits it, a value; repeat,
 * with the live count after each condition. Every answer is turned into a rule and checked by
 * the same parser as `--rule` and the YAML files, so the builder cannot write what `validate`
 * would reject.
 */
import { existsSync } from 'node:fs';
import type { CliContext } from './context.js';
import type { Choice } from './prompter.js';
import { countCond, workspaceSegments, type Cond } from '../segments/index.js';
import { COLUMN_FIELDS, FIELD_NAMES, resolveField } from '../segments/fields.js';
import { OPERATORS, SEGMENT_NAME } from '../segments/parse.js';
import { parseRules, type RuleEntry } from '../segments/rules.js';
import { checkCanWrite, segmentFile } from '../segments/write.js';

const DONE = '@done';
const ATTRIBUTE = '@attribute';
const SEGMENT = '@segment';

const OPERATOR_HELP: Record<string, string> = {
  eq: 'equals',
  ne: 'does not equal',
  gt: 'greater than',
  gte: 'at least',
  lt: 'less than',
  lte: 'at most',
  between: 'between two values, inclusive (low,high)',
  in: 'one of (comma-separated)',
  not_in: 'none of (comma-separated)',
  contains: 'contains (ignores A–Z case)',
  starts_with: 'starts with (ignores A–Z case)',
  ends_with: 'ends with (ignores A–Z case)',
  before: 'before a date',
  after: 'after a date',
  within: 'within a span before now (90d, 12h, 6w)',
  older_than: 'longer ago than a span (90d, 12h, 6w)',
  exists: 'has a value',
  missing: 'has no value',
};

const VALUE_HINT: Record<string, string> = {
  between: ' (low,high)',
  in: ' (comma-separated)',
  not_in: ' (comma-separated)',
  within: ' (e.g. 90d)',
  older_than: ' (e.g. 90d)',
  before: ' (e.g. 2024-05-01)',
  after: ' (e.g. 2024-05-01)',
};

export interface BuiltSegment {
  name: string;
  description?: string;
  entries: RuleEntry[];
}

export async function buildSegment(ctx: CliContext, preset: { name?: string; description?: string; force: boolean }): Promise<BuiltSegment> {
  const p = ctx.prompter;
  let name = preset.name;
  if (name) checkCanWrite(ctx.workspace, name, preset.force);
  else {
    name = (
      await p.input('Segment name (the file will be segments/<name>.yaml)', {
        validate: (v) => {
          if (!SEGMENT_NAME.test(v)) return 'letters, digits, "-" and "_", starting with a letter or digit';
          if (!preset.force && existsSync(segmentFile(ctx.workspace, v))) return `segment "${v}" already exists (pass --force to replace it)`;
          return true;
        },
      })
    ).trim();
  }
  const description = preset.description ?? ((await p.input('Description (optional)', { default: '' })).trim() || undefined);
  const library = workspaceSegments(ctx.workspace);
  const others = (await library.names()).filter((n) => n !== name);
  const { segments } = await ctx.repositories('read');
  const entries: RuleEntry[] = [];
  const conds: Cond[] = [];
  for (;;) {
    const choices: Array<Choice<string>> = [
      ...(entries.length > 0 ? [{ name: 'done: save the segment', value: DONE }] : []),
      ...FIELD_NAMES.map((f) => ({ name: `${f} (${COLUMN_FIELDS[f]})`, value: f })),
      { name: 'attributes.<key> (an imported extra column)', value: ATTRIBUTE },
      ...(others.length > 0 ? [{ name: 'another segment (include or exclude it)', value: SEGMENT }] : []),
    ];
    const picked = await p.select(entries.length === 0 ? 'Filter on' : 'And also (or done)', choices);
    if (picked === DONE) break;
    let rule: string;
    if (picked === SEGMENT) {
      const other = await p.select('Which segment', others.map((n) => ({ name: n, value: n })));
      const how = await p.select('Customers who are', [
        { name: `in ${other}`, value: 'include' },
        { name: `not in ${other}`, value: 'exclude' },
      ]);
      rule = `${how === 'exclude' ? 'not ' : ''}segment ${other}`;
    } else {
      let field = picked;
      if (picked === ATTRIBUTE) {
        const key = await p.input('Attribute key (e.g. plan)', {
          validate: (k) => (resolveField(`attributes.${k.trim()}`) ? true : 'letters, digits, "_" and "-"; dots for nested keys'),
        });
        field = `attributes.${key.trim()}`;
      }
      const resolved = resolveField(field)!;
      const ops = OPERATORS[resolved.kind === 'attribute' ? 'attribute' : resolved.type];
      const op = await p.select(`${field}:`, ops.map((o) => ({ name: `${o}: ${OPERATOR_HELP[o] ?? o}`, value: o })));
      if (op === 'exists' || op === 'missing') rule = `${field} ${op}`;
      else {
        const value = await p.input(`${field} ${op}${VALUE_HINT[op] ?? ''}`, {
          validate: (v) => {
            const { issues } = parseRules([`${field} ${op} ${v}`]);
            return issues.length === 0 ? true : issues[0]!.message;
          },
        });
        rule = `${field} ${op} ${value}`;
      }
    }
    const parsed = parseRules([rule]);
    if (parsed.issues.length > 0) {
      ctx.warn(parsed.issues[0]!.message);
      continue;
    }
    entries.push(...parsed.entries);
    conds.push(...parsed.conds);
    const count = await countCond(segments, library, conds.length === 1 ? conds[0]! : { kind: 'all', items: conds }, ctx.now());
    ctx.info(`  ${count} customers match so far`);
  }
  return { name, description, entries };
}
