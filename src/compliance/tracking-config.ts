/**
 * The `tracking:` section of mkt.yaml and the `tracking:` key of a campaign file (which may
 * override everything but base_url). Clicks are tracked by default once base_url is set; opens
 * (a pixel) and per-recipient events are opt-in. Tracked links are signed with the unsubscribe
 * keys (tokens.ts), so tracking needs `unsubscribe:` too.
 */
import { z } from 'zod';
import { utmProblems, UTM_KEYS, type UtmValues } from '../templates/utm.js';
import type { YamlPath } from '../workspace/issue.js';
import type { YamlFile } from '../workspace/yaml-file.js';

/** Default seconds after delivery within which a click counts as a machine's (link scanners). */
export const DEFAULT_BOT_CLICK_WINDOW_S = 10;

const utmSchema = z.union([z.literal(false), z.strictObject(Object.fromEntries(UTM_KEYS.map((k) => [k, z.string().optional()])) as Record<(typeof UTM_KEYS)[number], z.ZodOptional<z.ZodString>>)]);

/** What a campaign may set for itself. */
export const trackingOverrideSchema = z.strictObject({
  clicks: z.boolean().optional(),
  opens: z.boolean().optional(),
  individual: z.boolean().optional(),
  /** `false`: no UTM parameters for this campaign */
  utm: utmSchema.optional(),
  /** seconds */
  bot_click_window: z.number().min(0).max(86_400).optional(),
});
export type TrackingOverride = z.infer<typeof trackingOverrideSchema>;

export const trackingSchema = trackingOverrideSchema.extend({
  base_url: z
    .string()
    .url()
    .refine((u) => /^https?:\/\/[^/?#]+(\/[^?#]*)?$/.test(u), 'must be an http(s) URL without query or fragment'),
});

/** Tracking as a send and `mkt serve` use it: every default applied. */
export interface TrackingSettings {
  /** without a trailing slash; links are `<baseUrl>/c/<token>`, `/o/<token>.gif`, `/s/<code>` */
  baseUrl: string;
  clicks: boolean;
  opens: boolean;
  individual: boolean;
  utm: UtmValues;
  botClickWindowMs: number;
}

/** Checks the section's Liquid and that links can be signed (issues go into `file`), and applies the defaults. */
export async function resolveTracking(file: YamlFile, at: YamlPath, raw: z.infer<typeof trackingSchema>, hasKeys: boolean): Promise<TrackingSettings> {
  if (!hasKeys) file.add([...at, 'base_url'], 'tracked links are signed with the unsubscribe keys: configure unsubscribe: (base_url, secret) as well');
  await checkUtm(file, [...at, 'utm'], raw.utm);
  return applyOverride({ baseUrl: raw.base_url.replace(/\/+$/, ''), clicks: true, opens: false, individual: false, utm: {}, botClickWindowMs: DEFAULT_BOT_CLICK_WINDOW_S * 1000 }, raw);
}

/** Records a problem for every UTM value that does not render. */
export async function checkUtm(file: YamlFile, at: YamlPath, utm: TrackingOverride['utm']): Promise<void> {
  if (!utm) return;
  for (const p of await utmProblems(utm)) file.add([...at, p.key], p.message);
}

/** The workspace's tracking with a campaign's own settings on top. */
export function applyOverride(base: TrackingSettings, o: TrackingOverride | undefined): TrackingSettings {
  if (!o) return base;
  return {
    ...base,
    ...(o.clicks !== undefined ? { clicks: o.clicks } : {}),
    ...(o.opens !== undefined ? { opens: o.opens } : {}),
    ...(o.individual !== undefined ? { individual: o.individual } : {}),
    ...(o.utm !== undefined ? { utm: o.utm === false ? {} : o.utm } : {}),
    ...(o.bot_click_window !== undefined ? { botClickWindowMs: o.bot_click_window * 1000 } : {}),
  };
}
