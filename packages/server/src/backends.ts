/**
 * Chooses the engines behind the server: SQLite in the data directory and in-process fan-out by default;
 * PostgreSQL (`databaseUrl`), NATS (`natsUrl`) and Redis (`redisUrl`, rate limits) for several nodes
 * (docs/deploy.md).
 */
import type { ServerConfig } from "./config.js";
import { LocalRateLimiter, type BucketSettings, type RateLimiter } from "./rateLimit.js";
import { connectRedis, RedisRateLimiter } from "./redisRateLimit.js";
import { NatsNotifier } from "./realtime/natsNotifier.js";
import { InProcessNotifier, type Notifier } from "./realtime/notifier.js";
import { openPostgresStorage } from "./storage/postgres/storage.js";
import { openSqliteStorage } from "./storage/sqlite.js";
import type { Storage } from "./storage/types.js";

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

export async function openStorage(config: ServerConfig): Promise<Storage> {
  if (config.databaseUrl === "") return openSqliteStorage(config.dataDir);
  try {
    return await openPostgresStorage(config.databaseUrl, { schema: config.databaseSchema });
  } catch (err) {
    throw new Error(`cannot open PostgreSQL at ${redactUrl(config.databaseUrl)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export async function openNotifier(config: ServerConfig, storage: Storage): Promise<Notifier> {
  if (config.natsUrl === "") return new InProcessNotifier();
  try {
    return await NatsNotifier.open(storage, { url: config.natsUrl, prefix: config.natsPrefix });
  } catch (err) {
    throw new Error(`cannot reach NATS at ${redactUrl(config.natsUrl)}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

export interface RateLimits {
  account: RateLimiter;
  anon: RateLimiter;
  /** Registrations per client address. */
  registration: RateLimiter;
  /** Link codes made per account (`acct:` keys) and redeemed per address (`ip:` keys). */
  linkCode: RateLimiter;
  /** Application messages per device and group (`groupId/deviceId` keys). */
  groupSend: RateLimiter;
  readonly backend: "local" | "redis";
  /** Whether the shared buckets are reachable now (without them each node limits on its own). */
  readonly connected: boolean;
  close(): Promise<void>;
}

const HOUR_S = 3600;

export function openRateLimits(config: ServerConfig): RateLimits {
  const l = config.limits;
  const settings: Record<"account" | "anon" | "registration" | "linkCode" | "groupSend", BucketSettings> = {
    account: { burst: l.rateBurst, perSecond: l.ratePerSecond },
    anon: { burst: l.anonBurst, perSecond: l.anonPerSecond },
    registration: { burst: l.registrationBurst, perSecond: l.registrationPerHour / HOUR_S },
    linkCode: { burst: l.linkCodeBurst, perSecond: l.linkCodePerHour / HOUR_S },
    groupSend: { burst: l.groupSendBurst, perSecond: l.groupSendPerSecond },
  };
  const each = (make: (name: string, s: BucketSettings) => RateLimiter) => {
    const out = Object.fromEntries(Object.entries(settings).map(([name, s]) => [name, make(name, s)]));
    return out as Record<keyof typeof settings, RateLimiter>;
  };
  if (config.redisUrl === "") {
    return { ...each((_, s) => new LocalRateLimiter(s)), backend: "local", connected: true, close: async () => {} };
  }
  const redis = connectRedis(config.redisUrl);
  return {
    ...each((name, s) => new RedisRateLimiter(redis, `${config.redisPrefix}:rate:${name}`, s)),
    backend: "redis",
    get connected() {
      return redis.status === "ready";
    },
    close: async () => {
      redis.disconnect();
    },
  };
}
