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
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { isChannel, type Channel } from '../channels.js';
import { InputError, UsageError } from '../errors.js';
import { tryParseRate } from '../util/rate.js';

export const CAMPAIGN_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/;

export interface CampaignSpec {
  name: string;
  channel: Channel;
  segment: string;
  provider: string;
  template: string;
  schedule?: string;
  throttle?: string;
  distribution?: 'round-robin' | 'sticky';
}

const KEYS = ['name', 'channel', 'segment', 'provider', 'template', 'schedule', 'throttle', 'distribution'] as const;

/** Checks one field's value; returns a problem or undefined. */
export function checkField(key: (typeof KEYS)[number], value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') return `${key} must be a string`;
  switch (key) {
    case 'name':
      return CAMPAIGN_NAME.test(value) ? undefined : `name "${value}" must be a slug: lower-case letters, digits, - and _ (at most 64)`;
    case 'channel':
      return isChannel(value) ? undefined : `channel "${value}" must be email, sms or whatsapp`;
    case 'schedule':
      return /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : `schedule "${value}" must be an ISO 8601 time with a zone, e.g. 2026-12-01T09:00:00Z`;
    case 'throttle':
      return tryParseRate(value) ? undefined : `throttle "${value}" is not a rate (e.g. 50/s, 600/m)`;
    case 'distribution':
      return value === 'round-robin' || value === 'sticky' ? undefined : `distribution "${value}" must be round-robin or sticky`;
    default:
      return value.trim() === '' ? `${key} must not be empty` : undefined;
  }
}

/** Validates a spec from flags; every problem is reported at once. */
export function validateSpec(input: Partial<Record<(typeof KEYS)[number], unknown>>): CampaignSpec {
  const problems = KEYS.map((k) => checkField(k, input[k])).filter((p): p is string => Boolean(p));
  for (const k of ['name', 'channel', 'segment', 'provider', 'template'] as const) if (!input[k]) problems.push(`missing ${k}`);
  if (problems.length) throw new InputError('bad_campaign', problems.join('; '));
  return input as CampaignSpec;
}

/** Reads `campaigns/<name>.yaml`, with file:line:col for every problem. */
export async function readSpecFile(file: string): Promise<CampaignSpec> {
  const { parseDocument, LineCounter } = await import('yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new UsageError(`cannot read ${file}: ${(cause as Error).message}`, { code: 'file_unreadable' });
  }
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number | undefined) => {
    const p = lc.linePos(offset ?? 0);
    return `${file}:${p.line}:${p.col}`;
  };
  if (doc.errors.length) {
    const e = doc.errors[0]!;
    throw new InputError('bad_yaml', `${at(e.pos[0])}: ${e.message.split('\n')[0]}`);
  }
  const root = doc.contents as { items?: Array<{ key: { value: unknown; range?: number[] }; value: { value?: unknown; range?: number[] } | null }>; range?: number[] } | null;
  if (!root || !Array.isArray(root.items)) throw new InputError('bad_campaign', `${at(0)}: expected a mapping of campaign settings`);
  const problems: string[] = [];
  const spec: Record<string, unknown> = {};
  for (const item of root.items) {
    const key = String(item.key.value);
    if (!(KEYS as readonly string[]).includes(key)) {
      problems.push(`${at(item.key.range?.[0])}: unknown key "${key}" (known: ${KEYS.join(', ')})`);
      continue;
    }
    const value = item.value?.value;
    const problem = checkField(key as (typeof KEYS)[number], value instanceof Date ? value.toISOString() : value);
    if (problem) problems.push(`${at(item.value?.range?.[0] ?? item.key.range?.[0])}: ${problem}`);
    spec[key] = value;
  }
  spec.name ??= path.basename(file).replace(/\.ya?ml$/, '');
  for (const k of ['channel', 'segment', 'provider', 'template'] as const) if (spec[k] === undefined) problems.push(`${at(0)}: missing ${k}`);
  if (problems.length) throw new InputError('bad_campaign', problems.join('\n'));
  return validateSpec(spec);
}
