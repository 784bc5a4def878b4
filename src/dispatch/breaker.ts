/**
 * Error-rate breaker: over the last `window` outcomes, if more than `threshold` of them were
 * recipient failures (with at least `minSamples` seen), the campaign pauses — a list that
 * suddenly bounces everywhere is a bad list or a bad template, not bad luck.
 */
export class ErrorRateBreaker {
  private readonly ring: boolean[] = [];
  private failures = 0;

  constructor(
    private readonly window = 200,
    private readonly threshold = 0.25,
    private readonly minSamples = 50,
  ) {}

  record(failed: boolean): void {
    this.ring.push(failed);
    if (failed) this.failures++;
    if (this.ring.length > this.window && this.ring.shift()) this.failures--;
  }

  get tripped(): boolean {
    return this.ring.length >= this.minSamples && this.failures / this.ring.length > this.threshold;
  }

  get rate(): number {
    return this.ring.length === 0 ? 0 : this.failures / this.ring.length;
  }
}
