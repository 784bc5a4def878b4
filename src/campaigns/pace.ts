import { DEFAULT_CONCURRENCY } from '../providers/types.js';
import { tryParseRate } from '../util/rate.js';

export interface PaceInput {
  /** --throttle for this run, else the campaign's throttle. */
  throttle?: string | null;
  providerRate?: string;
  senderRates: Array<string | undefined>;
}

/**
 * The overall pace in messages per second: the throttle wins over the provider's rate; when
 * every sender has its own rate, their sum caps it too. Undefined = unlimited.
 */
export function effectiveRate(p: PaceInput): number | undefined {
  const overall = tryParseRate(p.throttle ?? '')?.perSecond ?? tryParseRate(p.providerRate ?? '')?.perSecond;
  const perSender = p.senderRates.map((r) => tryParseRate(r ?? '')?.perSecond);
  const senderSum = perSender.every((r) => r !== undefined) && perSender.length > 0 ? perSender.reduce((a, b) => a! + b!, 0) : undefined;
  if (overall === undefined) return senderSum;
  return senderSum === undefined ? overall : Math.min(overall, senderSum);
}

/** Rough duration of a send: by the pace, or by concurrency at ~100 ms a request when unlimited. */
export function estimateSeconds(messages: number, rate: number | undefined, concurrency = DEFAULT_CONCURRENCY): number {
  const perSecond = rate ?? concurrency * 10;
  return Math.ceil(messages / perSecond);
}
