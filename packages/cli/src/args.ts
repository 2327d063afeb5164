/** Argument parsers for commander that reject bad input with one clear sentence. */
import { InvalidArgumentError } from "commander";

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError("must be a port number (0-65535)");
  return n;
}

export function parseSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 3600) throw new InvalidArgumentError("must be a number of seconds (0-3600)");
  return n;
}

export function parseNameList(value: string): string[] {
  const names = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (names.length === 0) throw new InvalidArgumentError("must list at least one name");
  return names;
}

export function parseUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new Error();
    return url.toString();
  } catch {
    throw new InvalidArgumentError("must be an http(s) URL, e.g. http://127.0.0.1:8080");
  }
}

function parseUrlOf(protocols: string[], example: string): (value: string) => string {
  return (value) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      throw new InvalidArgumentError(`must be a URL, e.g. ${example}`);
    }
    if (!protocols.includes(url.protocol)) throw new InvalidArgumentError(`must be a ${protocols.join(" or ")} URL, e.g. ${example}`);
    return value;
  };
}

export const parsePostgresUrl = parseUrlOf(["postgres:", "postgresql:"], "postgres://user@db.internal:5432/safelight");
export const parseNatsUrl = parseUrlOf(["nats:", "tls:"], "nats://nats.internal:4222");
export const parseRedisUrl = parseUrlOf(["redis:", "rediss:"], "redis://redis.internal:6379");

export function parseSchemaName(value: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(value)) throw new InvalidArgumentError("must be a lower-case SQL identifier (letters, digits, _)");
  return value;
}

/**
 * `--limit name=value` (repeatable) and SAFELIGHT_LIMITS (`name=value,name=value`): server limits by their
 * LimitsConfig names (docs/server.md, Limits). `known` is the list of names; returns the map so far plus these.
 */
export function parseLimits(known: readonly string[]) {
  return (value: string, previous: Record<string, number> = {}): Record<string, number> => {
    const out = { ...previous };
    for (const part of value.split(",").map((s) => s.trim()).filter(Boolean)) {
      const m = /^([A-Za-z]+)=([0-9.]+)$/.exec(part);
      if (!m || !known.includes(m[1]!)) throw new InvalidArgumentError(`must be name=value with name one of ${known.join(", ")}`);
      const n = Number(m[2]);
      if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${m[1]} must be a non-negative number`);
      out[m[1]!] = n;
    }
    return out;
  };
}
