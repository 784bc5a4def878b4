/**
 * What defines a campaign, from flags or from `campaigns/<name>.yaml`, validated before anything
 * is written. The YAML shape (a contract once users keep campaigns in git):
 *
 *   name: spring-sale            # optional; defaults to the file name
 *   channel: email
 *   segment: high-value-dach
 *   provider: outbox
 *   template: spring-sale
 *   schedule: 2026-12-01T09:00:00Z   # optional
 *   throttle: 50/s                   # optional; default: the provider's rate
 *   distribution: round-robin        # or sticky
 *   concurrency: 16                  # optional; default: the provider's concurrency
 *   send_at_local: "09:00"           # optional: each recipient at 09:00 on their own clock
 *   recurring: { every: 1d }         # optional: each `send --due` adds and sends newcomers
 *   variants:                        # optional: an A/B test (at least two variants)
 *     a: { subject: "Spring sale" }
 *     b: { subject: "{{ first_name }}, your picks", template: email/spring-b, weight: 1 }
 *   test: { fraction: 20%, metric: clicks, wait: 4h }   # metric: clicks | opens | delivered
 *   tracking: { clicks: true, opens: false, individual: false, utm: false }   # optional: over mkt.yaml's
 *
 * The shape is a zod schema; a file is read with the workspace toolkit, so every problem is
 * reported at its file:line:col.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { CHANNELS, isChannel } from '../channels.js';
import { checkUtm, trackingOverrideSchema } from '../compliance/tracking-config.js';
import { InputError, UsageError } from '../errors.js';
import { tryParseRate } from '../util/rate.js';
import { formatIssue } from '../workspace/issue.js';
import { YamlFile } from '../workspace/yaml-file.js';
import { addZodIssues } from '../workspace/zod-issues.js';

export const CAMPAIGN_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** `send_at_local`: a local wall-clock time. */
export const LOCAL_TIME = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** What an A/B test may measure: clicks and opens from tracking, delivered from provider feedback. */
export const AB_METRICS = ['clicks', 'opens', 'delivered'] as const;

const DURATION_UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1d`, `12h`, `30m` → ms; undefined for anything else. */
export function parseEvery(text: string): number | undefined {
  const m = /^([1-9]\d{0,5})([mhd])$/.exec(text);
  return m ? Number(m[1]) * DURATION_UNITS[m[2]!]! : undefined;
}

/** `20%` → 0.2; undefined unless strictly between 0 and 100 percent. */
export function parseFraction(text: string): number | undefined {
  const m = /^(\d{1,2}(\.\d+)?)%$/.exec(text);
  const p = m ? Number(m[1]) : NaN;
  return p > 0 && p < 100 ? p / 100 : undefined;
}

const ISO_WITH_ZONE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;
const DISTRIBUTIONS = ['round-robin', 'sticky'] as const;

/** A string field of the spec: `ok` decides, `problem` says why not (one message per field). */
function field<T extends string = string>(key: string, ok: (v: string) => boolean, problem: (v: string) => string) {
  return z.string({ error: `${key} must be a string` }).refine(ok, { error: (issue) => problem(String(issue.input)) }) as unknown as z.ZodType<T, string>;
}
const named = (key: string) => field(key, (v) => v.trim() !== '', () => `${key} must not be empty`);

/** Each field on its own: flags are checked one at a time as they are parsed. */
const FIELDS = {
  name: field('name', (v) => CAMPAIGN_NAME.test(v), (v) => `name "${v}" must be a slug: lower-case letters, digits, - and _ (at most 64)`),
  channel: field<(typeof CHANNELS)[number]>('channel', isChannel, (v) => `channel "${v}" must be email, sms or whatsapp`),
  segment: named('segment'),
  provider: named('provider'),
  template: named('template'),
  schedule: field('schedule', (v) => ISO_WITH_ZONE.test(v) && !Number.isNaN(Date.parse(v)), (v) => `schedule "${v}" must be an ISO 8601 time with a zone, e.g. 2026-12-01T09:00:00Z`),
  throttle: field('throttle', (v) => tryParseRate(v) !== undefined, (v) => `throttle "${v}" is not a rate (e.g. 50/s, 600/m)`),
  distribution: field<(typeof DISTRIBUTIONS)[number]>('distribution', (v) => (DISTRIBUTIONS as readonly string[]).includes(v), (v) => `distribution "${v}" must be round-robin or sticky`),
  // the bounds of `send --concurrency` and providers.yaml's `concurrency:`
  concurrency: z
    .number({ error: (issue) => `concurrency ${JSON.stringify(issue.input)} must be a whole number from 1 to 1024` })
    .refine((n) => Number.isInteger(n) && n >= 1 && n <= 1024, { error: (issue) => `concurrency ${String(issue.input)} must be a whole number from 1 to 1024` }) as unknown as z.ZodType<number, number>,
  send_at_local: field('send_at_local', (v) => LOCAL_TIME.test(v), (v) => `send_at_local "${v}" must be a local time HH:MM, e.g. "09:00"`),
  recurring: z.strictObject({ every: field('every', (v) => parseEvery(v) !== undefined, (v) => `"${v}" must be a duration such as 1d, 12h or 30m`) }),
  variants: z
    .record(
      field('variant', (v) => /^[a-z0-9][a-z0-9_-]{0,15}$/.test(v), (v) => `variant name "${v}" must be a short slug (a, b, subject-2)`),
      z.strictObject({ subject: named('subject').optional(), template: named('template').optional(), weight: z.number({ error: 'weight must be a number' }).positive('weight must be above 0').optional() }),
    )
    .refine((v) => Object.keys(v).length >= 2, { error: 'variants: an A/B test needs at least two variants' }),
  test: z.strictObject({
    fraction: field('fraction', (v) => parseFraction(v) !== undefined, (v) => `"${v}" must be a percentage above 0 and below 100, e.g. 20%`),
    metric: z.enum(AB_METRICS, { error: `must be ${AB_METRICS.join(', ')}` }),
    wait: field('wait', (v) => parseEvery(v) !== undefined, (v) => `"${v}" must be a duration such as 4h or 30m`),
  }),
};
export type SpecKey = keyof typeof FIELDS;
type Key = SpecKey;
export const SPEC_KEYS = Object.keys(FIELDS) as Key[];
const KEYS = SPEC_KEYS;
const REQUIRED = ['name', 'channel', 'segment', 'provider', 'template'] as const;

/** A complete campaign spec. */
export const campaignSpecSchema = z.strictObject({
  name: FIELDS.name,
  channel: FIELDS.channel,
  segment: FIELDS.segment,
  provider: FIELDS.provider,
  template: FIELDS.template,
  schedule: FIELDS.schedule.optional(),
  throttle: FIELDS.throttle.optional(),
  distribution: FIELDS.distribution.optional(),
  concurrency: FIELDS.concurrency.optional(),
  send_at_local: FIELDS.send_at_local.optional(),
  recurring: FIELDS.recurring.optional(),
  variants: FIELDS.variants.optional(),
  test: FIELDS.test.optional(),
  tracking: trackingOverrideSchema.optional(),
});
export type CampaignSpec = z.infer<typeof campaignSpecSchema>;

/** What a campaign file may hold: every key optional, and an empty value counts as absent. */
const fileSchema = z.strictObject({ ...Object.fromEntries(KEYS.map((k) => [k, FIELDS[k].nullish()])), tracking: trackingOverrideSchema.nullish() });

/** Checks one field's value; returns a problem or undefined. */
export function checkField(key: Key, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const r = FIELDS[key].safeParse(value);
  return r.success ? undefined : r.error.issues[0]!.message;
}

/**
 * A value written as text (`campaign edit --set key=value`) as the file would hold it: digits
 * become a number for `concurrency`; an empty value unsets the key (undefined).
 */
export function fieldFromText(key: Key, text: string): unknown {
  if (text === '') return undefined;
  return key === 'concurrency' && /^[0-9]{1,6}$/.test(text) ? Number(text) : text;
}

/** Validates a spec from flags; every problem is reported at once. */
export function validateSpec(input: Partial<Record<Key | 'tracking', unknown>>): CampaignSpec {
  const problems = KEYS.map((k) => checkField(k, input[k])).filter((p): p is string => Boolean(p));
  for (const k of REQUIRED) if (!input[k]) problems.push(`missing ${k}`);
  if (problems.length) throw new InputError('bad_campaign', problems.join('; '));
  return Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined && v !== null)) as CampaignSpec;
}

/** Reads `campaigns/<name>.yaml`, with file:line:col for every problem. */
export async function readSpecFile(file: string): Promise<CampaignSpec> {
  return (await readSpecSource(file)).spec;
}

/** A campaign file read: its spec, and where each key is written (for problems found later). */
export interface SpecSource {
  file: string;
  spec: CampaignSpec;
  /** `file:line:col` of a key's value (the file's start when the key is absent). */
  at(key: Key): { file: string; line: number; col: number };
}

export async function readSpecSource(file: string): Promise<SpecSource> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new UsageError(`cannot read ${file}: ${(cause as Error).message}`, { code: 'file_unreadable' });
  }
  const source = new YamlFile(file, text, { syntaxMessage: (m) => m.split('\n')[0]! });
  if (!source.readable) throw new InputError('bad_yaml', formatIssue(source.issues[0]!));
  const data = source.data();
  const start = source.position(0);
  if (data === null || typeof data !== 'object' || Array.isArray(data)) throw new InputError('bad_campaign', formatIssue({ ...start, message: 'expected a mapping of campaign settings' }));
  const checked = fileSchema.safeParse(data);
  if (!checked.success) addZodIssues(source, [], checked.error, (issue) => (issue.code === 'unrecognized_keys' && issue.path.length === 0 ? `unknown key "${issue.keys[0]}" (known: ${[...KEYS, 'tracking'].join(', ')})` : undefined));
  else await checkUtm(source, ['tracking', 'utm'], (data as { tracking?: { utm?: false | Record<string, string> } }).tracking?.utm);
  // in the order they are written, as people read the file; top-level messages name their key
  // already, nested ones (tracking.utm.medium) keep their path
  const problems = source.issues
    .sort((a, b) => a.line! - b.line! || a.col! - b.col!)
    .map((i) => ({ ...i, path: i.path?.includes('.') ? i.path : undefined }));
  const spec: Record<string, unknown> = { ...data };
  spec.name ??= path.basename(file).replace(/\.ya?ml$/, '');
  for (const k of REQUIRED) if (spec[k] === undefined) problems.push({ ...start, path: undefined, message: `missing ${k}` });
  if (problems.length) throw new InputError('bad_campaign', problems.map(formatIssue).join('\n'));
  return { file, spec: validateSpec(spec), at: (key) => source.pos([key]) };
}
