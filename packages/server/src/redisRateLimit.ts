/**
 * Token buckets shared by every node, in Redis: one script call per request refills and takes
 * atomically, on Redis's clock (so node clocks do not matter). While Redis is unreachable each node
 * falls back to its own in-memory bucket (the same limit per node), so an outage loosens the limit
 * by at most the number of nodes instead of refusing every request.
 */
import { Redis } from "ioredis";
import { LocalRateLimiter, type BucketSettings, type RateLimiter } from "./rateLimit.js";

// KEYS[1] the bucket; ARGV burst, refill per second. Returns 1 when a token was taken.
const TAKE = `
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(b[1]) or burst
local at = tonumber(b[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) / 1000 * rate)
local ok = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return ok
`;

type WithTake = Redis & { slTake(key: string, burst: number, perSecond: number): Promise<number> };

export class RedisRateLimiter implements RateLimiter {
  private readonly fallback: LocalRateLimiter;

  constructor(
    private readonly redis: WithTake,
    private readonly prefix: string,
    private readonly settings: BucketSettings,
  ) {
    this.fallback = new LocalRateLimiter(settings);
  }

  async take(key: string): Promise<boolean> {
    try {
      return (await this.redis.slTake(`${this.prefix}:${key}`, this.settings.burst, this.settings.perSecond)) === 1;
    } catch {
      return this.fallback.takeNow(key, Date.now());
    }
  }
}

/** One connection for every limiter of a node. Commands fail fast while disconnected (no offline queue). */
export function connectRedis(url: string): WithTake {
  const redis = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 500, lazyConnect: false });
  // Reported through the limiter's fallback; ioredis reconnects by itself.
  redis.on("error", () => {});
  redis.defineCommand("slTake", { numberOfKeys: 1, lua: TAKE });
  return redis as WithTake;
}
