/**
 * Additive-increase / multiplicative-decrease around a target rate: a `throttled` answer
 * halves the pace (never below a floor); every second without throttling wins back a
 * tenth of the target, so the rate recovers gradually instead of snapping back into the wall.
 */
export class AdaptiveRate {
  private current: number;
  private lastChange: number;

  constructor(
    readonly target: number,
    private readonly now: () => number,
    private readonly floor = Math.max(0.2, target / 64),
  ) {
    this.current = target;
    this.lastChange = now();
  }

  get rate(): number {
    this.recover();
    return this.current;
  }

  onThrottle(): number {
    this.recover();
    this.current = Math.max(this.floor, this.current / 2);
    this.lastChange = this.now();
    return this.current;
  }

  private recover(): void {
    if (this.current >= this.target) return;
    const t = this.now();
    const seconds = (t - this.lastChange) / 1000;
    if (seconds >= 1) {
      this.current = Math.min(this.target, this.current + (this.target / 10) * Math.floor(seconds));
      this.lastChange = t;
    }
  }
}
