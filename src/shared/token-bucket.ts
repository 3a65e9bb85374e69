// A token bucket on an injected clock: `rate` tokens a second up to `burst`; take() spends some.

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly now: () => number,
  ) {
    if (!(rate > 0) || !(burst >= 1)) throw new RangeError('a token bucket needs rate > 0 and burst >= 1');
    this.tokens = burst;
    this.last = now();
  }

  /** Spends `cost` tokens if there are that many; a cost above the burst is never affordable. */
  take(cost = 1): boolean {
    const t = this.now();
    if (t > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) * this.rate) / 1000);
      this.last = t;
    }
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}
