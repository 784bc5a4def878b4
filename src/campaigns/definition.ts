/**
 * A campaign's definition (what a `campaigns/<name>.yaml` says) against its row: how a stored
 * campaign reads as a spec, which keys a new spec changes, and which of those its state allows.
 * `campaign apply`, `campaign edit` and `campaign schedule` all decide through `planChange`, so
 * one rule says what may change when.
 */
import type { Campaign, CampaignDefinitionPatch, CampaignState, NewCampaign } from '../db/campaigns.js';
import { InputError, UsageError, type MktError } from '../errors.js';
import type { CampaignSpec, SpecKey } from './spec.js';

/** A key of a campaign's definition: the flag-shaped keys and the file's `tracking:` mapping. */
export type DefKey = SpecKey | 'tracking';

/** The keys that may change in each state. A send list frozen by prepare fixes its audience and channel. */
const MAY_CHANGE: Record<CampaignState, readonly DefKey[]> = {
  // send_at_local, recurring and an A/B test shape the send list prepare freezes: drafts only
  draft: ['channel', 'segment', 'provider', 'template', 'schedule', 'throttle', 'distribution', 'concurrency', 'tracking', 'send_at_local', 'recurring', 'variants', 'test'],
  prepared: ['template', 'schedule', 'throttle', 'distribution', 'concurrency', 'tracking'],
  sending: ['throttle', 'schedule', 'concurrency'],
  paused: ['throttle', 'schedule', 'concurrency'],
  completed: [],
  cancelled: [],
};

/** The operator-workflow keys (issue 16), kept in the campaign's settings as the file has them. */
const WORKFLOW_KEYS = ['send_at_local', 'recurring', 'variants', 'test'] as const;
/** Keys holding a mapping: compared as their JSON, and without a command-line flag. */
const MAPPING_KEYS: readonly DefKey[] = ['tracking', 'recurring', 'variants', 'test'];

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? undefined : new Date(ms).toISOString());

/** A stored campaign as the spec a file would hold (absent keys left out). */
export function specOf(row: Campaign): CampaignSpec {
  const spec: Record<string, unknown> = { name: row.name, channel: row.channel, segment: row.segment, provider: row.provider, template: row.template };
  if (row.scheduleAt !== null) spec.schedule = iso(row.scheduleAt);
  if (row.throttle !== null) spec.throttle = row.throttle;
  if (row.settings.distribution) spec.distribution = row.settings.distribution;
  if (typeof row.settings.concurrency === 'number') spec.concurrency = row.settings.concurrency;
  if (row.settings.tracking) spec.tracking = row.settings.tracking;
  for (const k of WORKFLOW_KEYS) if (row.settings[k] !== undefined) spec[k] = row.settings[k];
  return spec as CampaignSpec;
}

/** A value as compared: schedules by the instant they name, so `+02:00` and `Z` spellings agree. */
function comparable(key: DefKey, spec: CampaignSpec): unknown {
  const v = spec[key];
  if (key === 'schedule') return v === undefined ? undefined : Date.parse(v as string);
  if (key === 'distribution') return v ?? 'round-robin';
  if (MAPPING_KEYS.includes(key)) return v === undefined ? undefined : JSON.stringify(v);
  return v;
}

const DEFINITION_KEYS: readonly DefKey[] = MAY_CHANGE.draft;

/** The keys whose value differs, in the file's key order. */
export function changedKeys(row: Campaign, next: CampaignSpec): DefKey[] {
  const current = specOf(row);
  return DEFINITION_KEYS.filter((k) => comparable(k, current) !== comparable(k, next));
}

export type PlanLine =
  | { name: string; action: 'create'; changes: DefKey[] }
  | { name: string; action: 'update'; changes: DefKey[] }
  | { name: string; action: 'no_change'; changes: [] }
  | { name: string; action: 'refused'; changes: DefKey[]; reason: string; code: RefusalCode };

/** A schedule in the past is a usage error (64, as the `--schedule` flag); a change the state forbids is bad input (65). */
export type RefusalCode = 'schedule_in_past' | 'change_refused';

/** `a, b and c` */
function listed(words: readonly string[]): string {
  return words.length <= 1 ? (words[0] ?? '') : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

/** Why `keys` may not change on this campaign now, or undefined when they may. */
export function refusal(row: Campaign, keys: readonly DefKey[]): string | undefined {
  if (row.archivedAt !== null && keys.length) return `${row.name} is archived; nothing may change`;
  const allowed = MAY_CHANGE[row.state];
  if (keys.every((k) => allowed.includes(k))) return undefined;
  if (!allowed.length) return `${row.name} is ${row.state}; nothing may change`;
  const why = row.state === 'prepared' ? ' (prepare froze its send list: prepare a new campaign for another audience)' : '';
  return `${row.name} is ${row.state}; only ${listed(allowed)} may change${why}`;
}

export interface PlanOptions {
  now: number;
  /** A schedule in the past is accepted (it is due at once). */
  allowPast?: boolean;
}

/** A schedule in the past, unless allowed: the refusal, else undefined. */
export function pastSchedule(spec: Pick<CampaignSpec, 'schedule'>, o: PlanOptions): string | undefined {
  if (!spec.schedule || o.allowPast || Date.parse(spec.schedule) >= o.now) return undefined;
  return `schedule ${spec.schedule} is in the past (now ${new Date(o.now).toISOString()}); pass --now to make it due at once`;
}

/** Throws the past-schedule refusal (64) of a new campaign (`campaign create --schedule`). */
export function checkSchedule(spec: Pick<CampaignSpec, 'schedule'>, o: PlanOptions): void {
  const past = pastSchedule(spec, o);
  if (past) throw new UsageError(past, { code: 'schedule_in_past', hint: 'pass --now to accept a time that has passed (the campaign is then due at once)' });
}

/** The plan line for one spec against the stored campaign of its name (or none). */
export function planChange(row: Campaign | undefined, next: CampaignSpec, o: PlanOptions): PlanLine {
  const name = next.name;
  const keys = row ? changedKeys(row, next) : [];
  const past = (!row || keys.includes('schedule')) && pastSchedule(next, o);
  if (past) return { name, action: 'refused', changes: keys, reason: `${name}: ${past}`, code: 'schedule_in_past' };
  if (!row) return { name, action: 'create', changes: [] };
  if (!keys.length) return { name, action: 'no_change', changes: [] };
  const refused = refusal(row, keys);
  return refused ? { name, action: 'refused', changes: keys, reason: refused, code: 'change_refused' } : { name, action: 'update', changes: keys };
}

/** The row values of a new campaign. */
export function newCampaignOf(spec: CampaignSpec): NewCampaign {
  return { name: spec.name, ...definitionOf(spec) };
}

/** The stored form of a spec's definition (every key: an absent one is unset). */
export function definitionOf(spec: CampaignSpec, base: Campaign['settings'] = {}): Required<CampaignDefinitionPatch> {
  const { distribution: _d, concurrency: _c, tracking: _t, send_at_local: _l, recurring: _r, variants: _v, test: _x, ...other } = base;
  const settings = {
    ...other,
    ...Object.fromEntries(WORKFLOW_KEYS.flatMap((k) => (spec[k] !== undefined ? [[k, spec[k]]] : []))),
    ...(spec.distribution ? { distribution: spec.distribution } : {}),
    ...(spec.concurrency !== undefined ? { concurrency: spec.concurrency } : {}),
    ...(spec.tracking ? { tracking: spec.tracking } : {}),
  };
  return {
    channel: spec.channel,
    segment: spec.segment,
    provider: spec.provider,
    template: spec.template,
    scheduleAt: spec.schedule ? Date.parse(spec.schedule) : null,
    throttle: spec.throttle ?? null,
    settings,
  };
}

/** The plan line as people read it: `create`, `update: throttle, schedule`, `no change`, `refused: …`. */
export function planText(line: PlanLine): string {
  switch (line.action) {
    case 'create':
      return 'create';
    case 'update':
      return `update: ${line.changes.join(', ')}`;
    case 'no_change':
      return 'no change';
    case 'refused':
      return `refused: ${line.reason}`;
  }
}

/** The error for refused lines (the first one's words; every reason in details): 65 when any is a state refusal. */
export function refusedError(lines: readonly PlanLine[]): MktError | undefined {
  const refused = lines.filter((l): l is Extract<PlanLine, { action: 'refused' }> => l.action === 'refused');
  if (!refused.length) return undefined;
  const message = refused.length === 1 ? refused[0]!.reason : `${refused.length} campaigns refused: ${refused.map((l) => l.reason).join('; ')}`;
  const details = { refused: refused.map((l) => ({ name: l.name, reason: l.reason })) };
  if (refused.every((l) => l.code === 'schedule_in_past')) return new UsageError(message, { code: 'schedule_in_past', details, hint: 'pass --now to accept a time that has passed (the campaign is then due at once)' });
  return new InputError('change_refused', message, { details, hint: 'nothing was changed' });
}

/** A word as a POSIX shell reads it: bare when it is safe, else single-quoted. */
function shellWord(v: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

/** The non-interactive command that creates this campaign (interactive `campaign create` teaches it). */
export function specCommandLine(spec: CampaignSpec): string {
  // mappings (tracking, recurring, variants, test) have no flag: they are a campaign file's (and `apply`'s) keys
  const flags = (['name', ...DEFINITION_KEYS] as const).flatMap((k) => (spec[k] === undefined || MAPPING_KEYS.includes(k) ? [] : [`--${k.replace(/_/g, '-')}`, shellWord(String(spec[k]))]));
  return ['mkt', 'campaign', 'create', ...flags].join(' ');
}

/** The campaign file for `campaigns/<name>.yaml` (the name is the file's). */
export function specYaml(spec: CampaignSpec): string {
  // plain where YAML reads the text back as the same string, else JSON's quoting (JSON is YAML)
  const scalar = (v: unknown) => (typeof v === 'number' || (typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9_./:+-]*$/.test(v) && !/^(true|false|null|yes|no|on|off|[0-9.+-]+)$/i.test(v)) ? String(v) : JSON.stringify(v));
  return DEFINITION_KEYS.flatMap((k) => (spec[k] === undefined ? [] : [`${k}: ${scalar(spec[k])}`])).join('\n') + '\n';
}
