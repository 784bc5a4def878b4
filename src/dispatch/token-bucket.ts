/**
 * A token bucket on an injectable clock. It starts nearly empty (a burst of at most
 * `burst` tokens) so that no one-second window at start exceeds the rate — a full bucket
 * would let a whole second of tokens out at once (docs/architecture.md, rate limiting).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private ratePerSec: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    this.tokens = Math.min(1, burst);
    this.last = now();
  }

  get rate(): number {
    return this.ratePerSec;
  }

  /** Changes the rate from now on (adaptive backoff); tokens already earned are kept. */
  setRate(ratePerSec: number): void {
    this.refill();
    this.ratePerSec = ratePerSec;
  }

  private refill(): void {
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSec);
      this.last = t;
    }
  }

  /** Whether a whole token is available now (does not take it). */
  available(): number {
    this.refill();
    return Math.floor(this.tokens);
  }

  /** Takes one token if there is one. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }

  /** Milliseconds until one token is available (0 when one is). */
  msUntilToken(): number {
    this.refill();
    if (this.tokens >= 1) return 0;
    return Math.ceil(((1 - this.tokens) / this.ratePerSec) * 1000);
  }
}
