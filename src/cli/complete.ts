/**
 * Shell completion, answered from the live commander program: the shells' scripts only ask
 * `mkt __complete -- <words…>`, so commands, subcommands and flags can never drift from what
 * mkt really accepts. Workspace names (segments, templates, providers, campaigns) come from
 * src/workspace/names.ts.
 */
import type { Argument, Command, Option } from 'commander';
import type { NameKind } from '../workspace/names.js';

export interface Candidate {
  value: string;
  description: string;
}

/** What the current word may be, once the words before it are understood. */
export type Wanted = { kind: 'candidates'; candidates: Candidate[] } | { kind: 'names'; names: NameKind; prefix: string } | { kind: 'none' };

const visible = (c: Command) => !(c as unknown as { _hidden?: boolean })._hidden;

/** The command and its ancestors: a subcommand accepts the global options too. */
function lineage(cmd: Command): Command[] {
  const out: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) out.push(c);
  return out;
}

function findOption(cmd: Command, flag: string): Option | undefined {
  for (const c of lineage(cmd)) {
    const o = c.options.find((opt) => opt.long === flag || opt.short === flag);
    if (o) return o;
  }
  return undefined;
}

const takesValue = (o: Option) => o.required || o.optional;

/** The group a command belongs to (`campaign` for `campaign send`), for arguments called <name>. */
function groupOf(cmd: Command): string {
  const path = lineage(cmd).reverse().slice(1);
  return path[0]?.name() ?? '';
}

const GROUP_NAMES: Record<string, NameKind> = { segment: 'segments', template: 'templates', provider: 'providers', campaign: 'campaigns' };
const OPTION_NAMES: Record<string, NameKind> = { '--segment': 'segments', '--template': 'templates', '--provider': 'providers', '--campaign': 'campaigns', '--channel': 'channels' };
/** These commands take a new name: offering existing ones would only invite a clash. */
const NEW_NAMES = new Set(['new', 'create']);

function argumentNames(cmd: Command, arg: Argument): NameKind | undefined {
  const n = arg.name();
  if (n === 'channel') return 'channels';
  for (const [word, kind] of Object.entries(GROUP_NAMES)) if (n === word) return kind;
  if ((n === 'name' || n === 'names') && !NEW_NAMES.has(cmd.name())) return GROUP_NAMES[groupOf(cmd)];
  return undefined;
}

function choices(list: readonly string[] | undefined, prefix: string): Wanted | undefined {
  if (!list || list.length === 0) return undefined;
  return { kind: 'candidates', candidates: list.filter((v) => v.startsWith(prefix)).map((value) => ({ value, description: '' })) };
}

function optionCandidates(cmd: Command, prefix: string): Candidate[] {
  const seen = new Set<string>();
  const out: Candidate[] = [];
  for (const c of lineage(cmd)) {
    for (const o of c.options) {
      if (o.hidden || !o.long || seen.has(o.long)) continue;
      seen.add(o.long);
      if (o.long.startsWith(prefix)) out.push({ value: o.long, description: o.description });
    }
  }
  if ('--help'.startsWith(prefix) && !seen.has('--help')) out.push({ value: '--help', description: 'display help for command' });
  return out;
}

/** Works out what the last word can be completed to; `words` are the words after `mkt`. */
export function wanted(program: Command, words: string[]): Wanted {
  const prior = words.slice(0, -1);
  const current = words[words.length - 1] ?? '';
  let cmd = program;
  let positional = 0;
  let pending: Option | undefined;
  let operandsOnly = false;
  for (const w of prior) {
    if (pending) {
      pending = undefined;
      continue;
    }
    if (!operandsOnly && w === '--') {
      operandsOnly = true;
      continue;
    }
    if (!operandsOnly && w.startsWith('-') && w.length > 1) {
      if (w.includes('=')) continue;
      const o = findOption(cmd, w);
      if (o && takesValue(o)) pending = o;
      continue;
    }
    const sub = positional === 0 ? cmd.commands.find((c) => c.name() === w || c.aliases().includes(w)) : undefined;
    if (sub) cmd = sub;
    else positional++;
  }
  if (pending) {
    const named = pending.long ? OPTION_NAMES[pending.long] : undefined;
    if (named) return { kind: 'names', names: named, prefix: current };
    return choices(pending.argChoices, current) ?? { kind: 'none' };
  }
  if (current.startsWith('-') && !operandsOnly) return { kind: 'candidates', candidates: optionCandidates(cmd, current) };
  const subs = cmd.commands.filter(visible);
  if (subs.length > 0 && positional === 0) {
    return { kind: 'candidates', candidates: subs.filter((c) => c.name().startsWith(current)).map((c) => ({ value: c.name(), description: c.description() })) };
  }
  const args = cmd.registeredArguments;
  const arg = args[positional] ?? (args[args.length - 1]?.variadic ? args[args.length - 1] : undefined);
  if (!arg) return { kind: 'none' };
  const named = argumentNames(cmd, arg);
  if (named) return { kind: 'names', names: named, prefix: current };
  return choices(arg.argChoices, current) ?? { kind: 'none' };
}

/** The value of -w/--workspace or --db among the words, so names come from the workspace being typed about. */
export function globalValue(words: string[], flags: string[]): string | undefined {
  let found: string | undefined;
  words.forEach((w, i) => {
    for (const f of flags) {
      if (w === f && i + 1 < words.length - 1) found = words[i + 1];
      else if (w.startsWith(f + '=')) found = w.slice(f.length + 1);
    }
  });
  return found;
}
