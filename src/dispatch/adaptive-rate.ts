/**
 * Additive-increase / multiplicative-decrease around a target rate: a `throttled` answer
 * cuts the pace by a quarter (never below a floor), at most once a second — the answers of
 * requests already in flight describe the same moment and must not compound the cut. Every
 * second wins back a fifth of the target, so the rate recovers gradually instead of snapping
 * back into the wall.
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

  private lastCut = -Infinity;

  onThrottle(): number {
    this.recover();
    const t = this.now();
    if (t - this.lastCut < 1000) return this.current;
    this.current = Math.max(this.floor, this.current * 0.75);
    this.lastCut = t;
    this.lastChange = t;
    return this.current;
  }

  private recover(): void {
    if (this.current >= this.target) return;
    const t = this.now();
    const seconds = (t - this.lastChange) / 1000;
    if (seconds >= 1) {
      this.current = Math.min(this.target, this.current + (this.target / 5) * Math.floor(seconds));
      this.lastChange = t;
    }
  }
}
