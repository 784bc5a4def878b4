/**
 * Delivery rates of a campaign and the SES reputation thresholds (docs/provider-facts.md §2):
 * bounces ≥ 5 % or complaints ≥ 0.1 % put an SES account under review (10 % / 0.5 %: pause risk).
 * Rates are over messages sent; `read` implies delivered.
 */
export interface DeliveryRates {
  delivered: number;
  bounced: number;
  complained: number;
  read: number;
}

export const SES_REVIEW = { bounced: 0.05, complained: 0.001 };
export const SES_PAUSE_RISK = { bounced: 0.1, complained: 0.005 };

const round = (x: number) => Math.round(x * 100_000) / 100_000;

export function deliveryRates(delivery: Record<string, number>, sent: number): DeliveryRates {
  const n = (k: string) => delivery[k] ?? 0;
  if (sent <= 0) return { delivered: 0, bounced: 0, complained: 0, read: 0 };
  // a complaint or a read comes from a delivered message
  return { delivered: round((n('delivered') + n('read') + n('complained')) / sent), bounced: round(n('bounced') / sent), complained: round(n('complained') / sent), read: round(n('read') / sent) };
}

export function reputationWarnings(rates: DeliveryRates): string[] {
  const out: string[] = [];
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  for (const k of ['bounced', 'complained'] as const) {
    if (rates[k] >= SES_PAUSE_RISK[k]) out.push(`${k} rate ${pct(rates[k])} is at or above ${pct(SES_PAUSE_RISK[k])}: SES may pause sending`);
    else if (rates[k] >= SES_REVIEW[k]) out.push(`${k} rate ${pct(rates[k])} is at or above ${pct(SES_REVIEW[k])}: SES puts accounts under review at this level`);
  }
  return out;
}
