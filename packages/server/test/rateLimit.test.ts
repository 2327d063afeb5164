/**
 * The RateLimiter contract on both implementations: in memory (one node) and Redis (buckets shared by
 * every node, so "node A" and "node B" are two limiters on one Redis). Plus the Redis one's fallback:
 * with Redis unreachable each node still limits, on its own bucket.
 */
import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { LocalRateLimiter, type BucketSettings, type RateLimiter } from "../src/rateLimit.js";
import { connectRedis, RedisRateLimiter } from "../src/redisRateLimit.js";
import { testRedisUrl } from "../src/testing.js";

interface Nodes {
  a: RateLimiter;
  b: RateLimiter;
  close(): Promise<void>;
}

async function takeAll(limiter: RateLimiter, key: string, n: number): Promise<boolean[]> {
  const out: boolean[] = [];
  for (let i = 0; i < n; i++) out.push(await limiter.take(key));
  return out;
}

const count = (xs: boolean[]) => xs.filter(Boolean).length;

function describeRateLimiterContract(label: string, open: (s: BucketSettings) => Promise<Nodes>): void {
  describe(`RateLimiter contract: ${label}`, () => {
    let nodes: Nodes | undefined;
    afterEach(async () => {
      await nodes?.close();
      nodes = undefined;
    });

    it("allows the burst, then refuses, per key", async () => {
      nodes = await open({ burst: 5, perSecond: 0.001 });
      expect(await takeAll(nodes.a, "k1", 7)).toEqual([true, true, true, true, true, false, false]);
      expect(await nodes.a.take("k2")).toBe(true);
    });

    it("refills at the configured rate", async () => {
      nodes = await open({ burst: 2, perSecond: 20 });
      expect(count(await takeAll(nodes.a, "k", 3))).toBe(2);
      await new Promise((r) => setTimeout(r, 150)); // 3 tokens' worth, capped at the burst of 2
      expect(await takeAll(nodes.a, "k", 3)).toEqual([true, true, false]);
    });

    it("one bucket across the nodes: requests spread over two nodes get the burst once, not twice", async () => {
      nodes = await open({ burst: 10, perSecond: 0.001 });
      const { a, b } = nodes;
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).take("shared")));
      expect(count(results)).toBe(10);
    });
  });
}

describeRateLimiterContract("in memory", async (s) => {
  // One node: both "nodes" are the same process's limiter.
  const limiter = new LocalRateLimiter(s);
  return { a: limiter, b: limiter, close: async () => {} };
});

describeRateLimiterContract("Redis", async (s) => {
  const prefix = `sltest:${randomBytes(6).toString("hex")}`;
  const [ra, rb] = [connectRedis(testRedisUrl), connectRedis(testRedisUrl)];
  await Promise.all([ra, rb].map((r) => new Promise<void>((ok, fail) => {
    r.once("ready", () => ok());
    setTimeout(() => fail(new Error(`Redis at ${testRedisUrl} is not reachable (set SAFELIGHT_TEST_REDIS)`)), 5000).unref();
  })));
  return {
    a: new RedisRateLimiter(ra, prefix, s),
    b: new RedisRateLimiter(rb, prefix, s),
    close: async () => {
      const keys = await ra.keys(`${prefix}:*`);
      if (keys.length > 0) await ra.del(...keys);
      ra.disconnect();
      rb.disconnect();
    },
  };
});

describe("Redis rate limits while Redis is unreachable", () => {
  it("each node falls back to its own bucket instead of refusing or allowing everything", async () => {
    const redis = connectRedis("redis://127.0.0.1:1"); // nothing listens on port 1
    try {
      const limiter = new RedisRateLimiter(redis, "sltest:down", { burst: 3, perSecond: 0.001 });
      expect(await takeAll(limiter, "k", 5)).toEqual([true, true, true, false, false]);
    } finally {
      redis.disconnect();
    }
  });
});
