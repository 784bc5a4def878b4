/**
 * One-line rules for scripts and the interactive builder: `lifetime_value gt 500`,
 * `country in DE,AT`, `last_order_at within 90d`, `phone exists`, `segment churn-risk`,
 * `not segment churn-risk`. A rule becomes the same YAML shape a person would write, and is
 * checked by the same parser, so both paths accept exactly the same filters.
 */
import { Document } from 'yaml';
import type { Cond } from './ast.js';
import { resolveField } from './fields.js';
import { ParseContext, parseCondition, type SegmentIssue } from './parse.js';

/** A condition in definition-file form, e.g. `{ lifetime_value: { gt: 500 } }`. */
export type RuleEntry = Record<string, unknown>;

const LIST_OPS = new Set(['in', 'not_in', 'between']);
const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** Turns rule text into its definition-file form (not yet checked). */
export function ruleToEntry(rule: string): RuleEntry | string {
  const text = rule.trim();
  const not = /^not\s+(.*)$/s.exec(text);
  if (not) {
    const inner = ruleToEntry(not[1]!);
    return typeof inner === 'string' ? inner : { not: inner };
  }
  const m = /^(\S+)(?:\s+(\S+))?(?:\s+(.*))?$/s.exec(text);
  if (!m || !m[1]) return 'a rule is "<field> <operator> <value>", e.g. "lifetime_value gt 500" or "country in DE,AT"';
  const [, field, op, rest] = m;
  if (field === 'segment') {
    if (!op || rest) return 'write "segment <name>" to include another segment';
    return { segment: op };
  }
  if (!op) return `"${field}" needs an operator and a value, e.g. "${field} eq …"`;
  const valueText = rest?.trim() ?? '';
  if (op === 'exists' || op === 'missing') return { [field]: { [op]: valueText === '' ? true : typedScalar(field, valueText) } };
  if (valueText === '') return `"${field} ${op}" needs a value`;
  const value = LIST_OPS.has(op) ? valueText.split(',').map((v) => typedScalar(field, v.trim())) : typedScalar(field, valueText);
  return { [field]: { [op]: value } };
}

/** A value typed by the field it is compared with; attributes guess like YAML (quote to force text). */
function typedScalar(fieldName: string, text: string): unknown {
  const field = resolveField(fieldName);
  const quoted = /^"(.*)"$|^'(.*)'$/s.exec(text);
  if (field?.kind === 'column') {
    if (field.type === 'number') return NUMBER.test(text) ? Number(text) : text;
    if (field.type === 'boolean') return text === 'true' ? true : text === 'false' ? false : text;
    return quoted ? (quoted[1] ?? quoted[2]) : text;
  }
  if (quoted) return quoted[1] ?? quoted[2];
  if (NUMBER.test(text)) return Number(text);
  if (text === 'true' || text === 'false') return text === 'true';
  return text;
}

/** Parses and checks rules; problems are labelled with the rule they come from. */
export function parseRules(rules: string[]): { entries: RuleEntry[]; conds: Cond[]; issues: SegmentIssue[] } {
  const entries: RuleEntry[] = [];
  const conds: Cond[] = [];
  const issues: SegmentIssue[] = [];
  rules.forEach((rule, i) => {
    const label = `--rule ${i + 1} ("${rule}")`;
    const entry = ruleToEntry(rule);
    if (typeof entry === 'string') {
      issues.push({ file: label, message: entry });
      return;
    }
    const ctx = new ParseContext(label);
    const cond = parseCondition(new Document(entry).contents, ctx);
    issues.push(...ctx.issues);
    if (cond) {
      entries.push(entry);
      conds.push(cond);
    }
  });
  return { entries, conds, issues };
}
