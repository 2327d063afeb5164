/** In-memory token bucket per key (account id, or client address for anonymous calls). */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly burst: number,
    private readonly perSecond: number,
  ) {}

  /** Takes one token; false when the key is over its rate. */
  take(key: string, now = Date.now()): boolean {
    const b = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + ((now - b.at) / 1000) * this.perSecond);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    // Full buckets carry no state worth keeping; bound memory on many distinct keys.
    if (this.buckets.size > 100_000) this.prune();
    return ok;
  }

  private prune(): void {
    for (const [key, b] of this.buckets) if (b.tokens >= this.burst - 1) this.buckets.delete(key);
  }
}
