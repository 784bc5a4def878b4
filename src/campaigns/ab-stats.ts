/**
 * The two-proportion z-test an A/B test's winner is picked with: did variant A's rate (clicks,
 * opens or deliveries over messages sent) differ from B's by more than chance? Pooled standard
 * error, two-sided p-value from the normal distribution. Pure: unit-tested against textbook
 * values.
 */

export interface Proportion {
  successes: number;
  trials: number;
}

export interface ZTest {
  /** (p1 − p2) / SE with the pooled proportion; 0 when there is nothing to compare. */
  z: number;
  /** Two-sided. */
  p: number;
  significant: boolean;
}

/** Standard normal CDF through erf (Abramowitz–Stegun 7.1.26, |error| < 1.5e-7). */
export function normalCdf(x: number): number {
  const t = 1 / (1 + (0.3275911 * Math.abs(x)) / Math.SQRT2);
  const poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-(x * x) / 2);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

export function twoProportionZ(a: Proportion, b: Proportion, alpha = 0.05): ZTest {
  if (a.trials === 0 || b.trials === 0) return { z: 0, p: 1, significant: false };
  const p1 = a.successes / a.trials;
  const p2 = b.successes / b.trials;
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  if (se === 0) return { z: 0, p: 1, significant: false };
  const z = (p1 - p2) / se;
  const p = 2 * (1 - normalCdf(Math.abs(z)));
  return { z, p, significant: p < alpha };
}
