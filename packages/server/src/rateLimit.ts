/**
 * Token buckets per key (account id, or client address for anonymous calls). One node keeps them in
 * memory; several nodes share them in Redis (redisRateLimit.ts) so limits do not multiply with nodes.
 */
export interface RateLimiter {
  /** Takes one token; false when the key is over its rate. */
  take(key: string): Promise<boolean>;
}

export interface BucketSettings {
  /** Capacity: requests allowed at once. */
  burst: number;
  /** Refill per second. */
  perSecond: number;
}

export class LocalRateLimiter implements RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(private readonly settings: BucketSettings) {}

  async take(key: string): Promise<boolean> {
    return this.takeNow(key, Date.now());
  }

  takeNow(key: string, now: number): boolean {
    const { burst, perSecond } = this.settings;
    const b = this.buckets.get(key) ?? { tokens: burst, at: now };
    b.tokens = Math.min(burst, b.tokens + ((now - b.at) / 1000) * perSecond);
    b.at = now;
    const ok = b.tokens >= 1;
    if (ok) b.tokens -= 1;
    this.buckets.set(key, b);
    // Full buckets carry no state worth keeping; bound memory on many distinct keys.
    if (this.buckets.size > 100_000) this.prune();
    return ok;
  }

  private prune(): void {
    for (const [key, b] of this.buckets) if (b.tokens >= this.settings.burst - 1) this.buckets.delete(key);
  }
}
