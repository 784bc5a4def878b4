/**
 * mkt.yaml: workspace settings that are not about one provider (unsubscribe links, quiet
 * hours, frequency caps, delivery policy, feedback endpoints, click and open tracking). Optional; validated like
 * providers.yaml, every problem as `mkt.yaml:line:col`, secrets only as `${ENV_VAR}`.
 */
import path from 'node:path';
import { z } from 'zod';
import { CHANNELS, type Channel } from '../channels.js';
import { parseConfig, readConfigText, throwIssues, type ConfigKind } from '../workspace/config-file.js';
import { resolveEnv, secretPaths } from '../workspace/secrets.js';
import { addZodIssues } from '../workspace/zod-issues.js';
import { parseWindow, type DailyWindow } from './quiet-hours.js';
import { resolveTracking, trackingSchema, type TrackingSettings } from './tracking-config.js';

export const SETTINGS_FILE = 'mkt.yaml';
const KIND: ConfigKind = { file: SETTINGS_FILE, invalidCode: 'settings_invalid', readme: 'Compliance', unreadableCode: 'settings_unreadable' };

/** `7d`, `24h`, `90m` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const m = /^(\d+)\s*(m|h|d|w)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 }[m[2] as 'm' | 'h' | 'd' | 'w'];
  const ms = Number(m[1]) * unit;
  return ms > 0 ? ms : undefined;
}

const keyId = z.string().regex(/^[A-Za-z0-9_-]{1,16}$/, 'a key id is 1-16 letters, digits, _ or -');
const secret = z.string().min(16, 'a secret needs at least 16 characters (e.g. `openssl rand -hex 32`)');
const httpsUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL');

const unsubscribeSchema = z.strictObject({
  base_url: httpsUrl,
  secret,
  key_id: keyId.default('k1'),
  previous_secrets: z.array(z.strictObject({ key_id: keyId, secret })).default([]),
  mailto: z.email().optional(),
});

const windowSchema = z.string().transform((v, ctx) => {
  const w = parseWindow(v);
  if (!w) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a window: write it like "09:00-20:00" (recipient's local time)` });
    return z.NEVER;
  }
  return w;
});

const capSchema = z.strictObject({
  max: z.int().min(1),
  per: z.string().transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: `"${v}" is not a period: write it like 7d, 24h or 90m` });
      return z.NEVER;
    }
    return { text: v, ms };
  }),
});

const perChannel = <T extends z.ZodType>(schema: T) => z.strictObject({ email: schema.optional(), sms: schema.optional(), whatsapp: schema.optional() });

const feedbackSchema = z.strictObject({
  ses: z
    .strictObject({
      /** SNS topics whose notifications are accepted; anything else is refused (403). */
      topic_arns: z.array(z.string().regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_.-]+$/, 'expected an SNS topic ARN')).min(1),
      /** PEM file of the pinned SNS signing certificate; with it every message signature is verified. */
      signing_cert: z.string().optional(),
    })
    .optional(),
  twilio: z.strictObject({ auth_token: z.string().min(1), public_url: httpsUrl.optional() }).optional(),
  meta: z.strictObject({ app_secret: z.string().min(1), verify_token: z.string().min(1) }).optional(),
});

const settingsSchema = z.strictObject({
  default_timezone: z
    .string()
    .refine((tz) => isTimeZone(tz), 'not an IANA time zone (e.g. Europe/London, America/New_York)')
    .optional(),
  unsubscribe: unsubscribeSchema.optional(),
  quiet_hours: perChannel(windowSchema).optional(),
  frequency_cap: perChannel(capSchema).optional(),
  delivery: z.strictObject({ ambiguous: z.enum(['unknown', 'retry']).optional() }).optional(),
  feedback: feedbackSchema.optional(),
  tracking: trackingSchema.optional(),
});

export type RawSettings = z.infer<typeof settingsSchema>;

export interface WorkspaceSettings {
  defaultTimezone?: string;
  unsubscribe?: { baseUrl: string; keyId: string; secret: string; previous: Array<{ keyId: string; secret: string }>; mailto?: string };
  quietHours: Partial<Record<Channel, DailyWindow>>;
  frequencyCap: Partial<Record<Channel, { max: number; perMs: number; per: string }>>;
  delivery: { ambiguous?: 'unknown' | 'retry' };
  feedback: RawSettings['feedback'];
  /** Click and open tracking (absent: nothing is tracked); a campaign may override all but base_url. */
  tracking?: TrackingSettings;
  /** Directory of mkt.yaml (relative paths in it resolve from here). */
  dir: string;
}

export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export interface LoadOptions {
  /** Also resolve the `feedback` section's secrets (only `mkt serve` needs them). */
  feedback?: boolean;
}

// one parse per workspace and environment: a command reads mkt.yaml from several places
const caches = new WeakMap<NodeJS.ProcessEnv, Map<string, Promise<WorkspaceSettings>>>();

/** The workspace's settings (empty when there is no mkt.yaml), loaded once per environment object. */
export function loadSettings(workspace: string, env: NodeJS.ProcessEnv, opts: LoadOptions = {}): Promise<WorkspaceSettings> {
  const key = `${path.resolve(workspace)}\u0000${opts.feedback ? 1 : 0}`;
  let cache = caches.get(env);
  if (!cache) caches.set(env, (cache = new Map<string, Promise<WorkspaceSettings>>()));
  let p = cache.get(key);
  if (!p) {
    p = readSettings(workspace, env, opts);
    cache.set(key, p);
    p.catch(() => cache.delete(key));
  }
  return p;
}

async function readSettings(workspace: string, env: NodeJS.ProcessEnv, opts: LoadOptions): Promise<WorkspaceSettings> {
  const empty: WorkspaceSettings = { quietHours: {}, frequencyCap: {}, delivery: {}, feedback: undefined, dir: workspace };
  const text = await readConfigText(workspace, KIND);
  if (text === undefined) return empty;
  const file = parseConfig(text, KIND);
  const root = file.data();
  if (root === null || root === undefined) return empty;
  if (typeof root !== 'object' || Array.isArray(root)) {
    file.add([], 'expected a mapping (unsubscribe:, quiet_hours:, frequency_cap: …)');
    throwIssues(file, KIND);
  }
  const r = root as Record<string, unknown>;
  // Secrets are `${ENV}` references only; the feedback section's are resolved only when asked.
  const prev = (r.unsubscribe as { previous_secrets?: unknown[] } | undefined)?.previous_secrets;
  const unsubscribeSecrets = secretPaths([['secret'], ...(Array.isArray(prev) ? prev.map((_, i) => ['previous_secrets', i, 'secret']) : [])]);
  const feedbackSecrets = secretPaths([['twilio', 'auth_token'], ['meta', 'app_secret'], ['meta', 'verify_token']]);
  const resolved: Record<string, unknown> = { ...r };
  if (r.unsubscribe !== undefined) resolved.unsubscribe = resolveEnv(file, ['unsubscribe'], r.unsubscribe, [], unsubscribeSecrets, env);
  if (r.feedback !== undefined) resolved.feedback = resolveEnv(file, ['feedback'], r.feedback, [], feedbackSecrets, opts.feedback ? env : undefined);
  throwIssues(file, KIND);
  const parsed = settingsSchema.safeParse(resolved);
  if (!parsed.success) addZodIssues(file, [], parsed.error);
  throwIssues(file, KIND);
  const s = parsed.data!;
  const ids = new Set<string>();
  for (const [i, k] of [s.unsubscribe?.key_id, ...(s.unsubscribe?.previous_secrets ?? []).map((p) => p.key_id)].entries()) {
    if (k === undefined) continue;
    if (ids.has(k)) file.add(i === 0 ? ['unsubscribe', 'key_id'] : ['unsubscribe', 'previous_secrets', i - 1, 'key_id'], `key id "${k}" is used twice: every key needs its own id`);
    ids.add(k);
  }
  const tracking = s.tracking ? await resolveTracking(file, ['tracking'], s.tracking, s.unsubscribe !== undefined) : undefined;
  throwIssues(file, KIND);
  for (const ch of CHANNELS) if (s.quiet_hours?.[ch] === undefined) delete s.quiet_hours?.[ch];
  const u = s.unsubscribe;
  return {
    ...(s.default_timezone ? { defaultTimezone: s.default_timezone } : {}),
    ...(u
      ? {
          unsubscribe: {
            baseUrl: u.base_url.replace(/\/+$/, ''),
            keyId: u.key_id,
            secret: u.secret,
            previous: u.previous_secrets.map((p) => ({ keyId: p.key_id, secret: p.secret })),
            ...(u.mailto ? { mailto: u.mailto } : {}),
          },
        }
      : {}),
    quietHours: Object.fromEntries(Object.entries(s.quiet_hours ?? {}).filter(([, w]) => w)),
    frequencyCap: Object.fromEntries(
      Object.entries(s.frequency_cap ?? {})
        .filter(([, c]) => c)
        .map(([ch, c]) => [ch, { max: c.max, perMs: c.per.ms, per: c.per.text }]),
    ),
    delivery: s.delivery ?? {},
    feedback: s.feedback,
    ...(tracking ? { tracking } : {}),
    dir: workspace,
  };
}
