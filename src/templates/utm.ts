/**
 * UTM parameters of tracked links: Liquid values (`medium: "{{ channel }}"`) rendered once per
 * campaign with the campaign's name, id and channel, the same strict engine templates use.
 */
import type { Channel } from '../channels.js';
import { createEngine } from './liquid.js';

export const UTM_KEYS = ['source', 'medium', 'campaign', 'term', 'content'] as const;
export type UtmKey = (typeof UTM_KEYS)[number];
export type UtmValues = Partial<Record<UtmKey, string>>;

export interface UtmScope {
  channel: Channel;
  campaign: { name: string; id: number };
}

/** What a value may refer to, for checking mkt.yaml before any campaign exists. */
const SAMPLE: UtmScope = { channel: 'email', campaign: { name: 'sample', id: 1 } };

/** `[["utm_source", "mkt"], …]` in UTM_KEYS order; an empty rendering drops that parameter. Throws with liquidjs's message. */
export async function renderUtm(values: UtmValues, scope: UtmScope): Promise<Array<[string, string]>> {
  const engine = await createEngine({}, 'text');
  const out: Array<[string, string]> = [];
  for (const key of UTM_KEYS) {
    const source = values[key];
    if (source === undefined) continue;
    const text = (engine.parseAndRenderSync(source, scope) as string).trim();
    if (text !== '') out.push([`utm_${key}`, text]);
  }
  return out;
}

/** The problem of each value that does not render (syntax, unknown variable or filter), by key. */
export async function utmProblems(values: UtmValues): Promise<Array<{ key: UtmKey; message: string }>> {
  const problems: Array<{ key: UtmKey; message: string }> = [];
  for (const key of UTM_KEYS) {
    if (values[key] === undefined) continue;
    try {
      await renderUtm({ [key]: values[key] }, SAMPLE);
    } catch (e) {
      problems.push({ key, message: `Liquid: ${(e as Error).message.replace(/, (file:|line:).*$/s, '')} (known: channel, campaign.name, campaign.id)` });
    }
  }
  return problems;
}
