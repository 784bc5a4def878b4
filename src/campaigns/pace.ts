import { DEFAULT_CONCURRENCY } from '../providers/types.js';
import { tryParseRate } from '../util/rate.js';

export interface PaceInput {
  /** --throttle for this run, else the campaign's throttle. */
  throttle?: string | null;
  /** Where the throttle came from, for the warning: `--throttle` or the campaign's `throttle:`. */
  throttleSource?: string;
  providerName?: string;
  providerRate?: string;
  senderRates: Array<string | undefined>;
}

export interface Pace {
  /** Messages per second for the whole run; undefined = unlimited. */
  ratePerSec?: number;
  /** Set when the throttle asked for more than the ceiling allowed: it was lowered to it. */
  capped?: { code: 'throttle_capped'; message: string; requested: number; ceiling: number };
}

const show = (perSecond: number) => `${Math.round(perSecond * 100) / 100}/s`;

/**
 * The pace of a run. The provider's `rate:` is the account's quota and, when every sender has
 * its own rate, their sum is all the senders can carry: together they are a ceiling. A throttle
 * can only lower the pace below it, never raise it (a throttle above the quota is how accounts
 * get suspended), so the pace is min(throttle, provider rate, sum of sender rates).
 */
export function paceOf(p: PaceInput): Pace {
  const throttle = tryParseRate(p.throttle ?? '');
  const provider = tryParseRate(p.providerRate ?? '');
  const perSender = p.senderRates.map((r) => tryParseRate(r ?? '')?.perSecond);
  const senderSum = perSender.length > 0 && perSender.every((r) => r !== undefined) ? perSender.reduce((a, b) => a + b, 0) : undefined;
  const limits = [provider?.perSecond, senderSum].filter((r): r is number => r !== undefined);
  const ceiling = limits.length > 0 ? Math.min(...limits) : undefined;
  if (!throttle) return { ratePerSec: ceiling };
  if (ceiling === undefined || throttle.perSecond <= ceiling) return { ratePerSec: throttle.perSecond };
  const name = p.providerName ? `provider "${p.providerName}"` : 'the provider';
  const by =
    provider !== undefined && provider.perSecond === ceiling
      ? `${name}'s rate: ${provider.text} (the account's quota)`
      : `the sum of ${name}'s sender rates, ${show(ceiling)}`;
  return {
    ratePerSec: ceiling,
    capped: {
      code: 'throttle_capped',
      message: `${p.throttleSource ?? 'the throttle'} ${throttle.text} is above ${by}: sending at ${show(ceiling)}`,
      requested: throttle.perSecond,
      ceiling,
    },
  };
}

/** The overall pace in messages per second (see paceOf). Undefined = unlimited. */
export function effectiveRate(p: PaceInput): number | undefined {
  return paceOf(p).ratePerSec;
}

/** Rough duration of a send: by the pace, or by concurrency at ~100 ms a request when unlimited. */
export function estimateSeconds(messages: number, rate: number | undefined, concurrency = DEFAULT_CONCURRENCY): number {
  const perSecond = rate ?? concurrency * 10;
  return Math.ceil(messages / perSecond);
}
