/**
 * The PostgreSQL connection pool and its transaction helper, shared by every PostgreSQL store.
 */
import pg from "pg";

// int8 (COUNT, bigint columns) as numbers: every bigint we store is a count, seq or millisecond time,
// all far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

export type Pool = pg.Pool;
export type Client = pg.PoolClient;

export interface PoolOptions {
  /** Schema the tables live in (created if missing); tests give each run its own. Default `public`. */
  schema?: string;
  max?: number;
}

export function openPool(url: string, options: PoolOptions = {}): Pool {
  const schema = options.schema ?? "public";
  if (!/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`bad schema name: ${schema}`);
  const pool = new pg.Pool({
    connectionString: url,
    max: options.max ?? 10,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 5000,
  });
  // A dropped connection (database restart, pg_terminate_backend) is reported here; the pool replaces
  // it on the next query, so the node recovers by itself.
  pool.on("error", () => {});
  // The same drop while a caller holds the client (between two queries of a transaction) is an 'error'
  // event on the client that the pool does not listen to then: unheard, it would end the process. The
  // next query on that client fails instead, and the pool discards it on release (not queryable).
  pool.on("connect", (client) => client.on("error", () => {}));
  return pool;
}

/** Deadlock and serialization failures: the transaction did nothing and may simply run again. */
const RETRYABLE = new Set(["40P01", "40001"]);

/** Runs `fn` in one transaction, retrying it when PostgreSQL aborted it for a deadlock. */
export async function inTransaction<T>(pool: Pool, fn: (c: Client) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    try {
      await client.query("BEGIN");
      const result = await fn(client);
      await client.query("COMMIT");
      return result;
    } catch (err) {
      await client.query("ROLLBACK").catch(() => {});
      if (attempt < 5 && RETRYABLE.has(pgCode(err) ?? "")) continue;
      throw err;
    } finally {
      client.release();
    }
  }
}

export function pgCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String((err as { code: unknown }).code) : undefined;
}

/** A unique-constraint violation of the named constraint. */
export function isUniqueViolation(err: unknown, constraint: string): boolean {
  return pgCode(err) === "23505" && (err as { constraint?: string }).constraint === constraint;
}

/** Connection-level failures (class 08, shutdown, too many connections) as opposed to a bad query. */
const UNAVAILABLE = /^(08|57P0[123]|53300)/;
const NETWORK = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENOTFOUND"]);

/** The database cannot be reached now (it is down, restarting or dropped us); worth a retry later. */
export function isDatabaseUnavailable(err: unknown): boolean {
  const code = pgCode(err);
  if (code !== undefined && (UNAVAILABLE.test(code) || NETWORK.has(code))) return true;
  const message = err instanceof Error ? err.message : "";
  return /Connection terminated|connection error|timeout exceeded when trying to connect|Connection refused/i.test(message);
}

/** timestamptz columns are JS Dates; the server speaks milliseconds since the epoch. */
export const ms = (d: Date): number => d.getTime();
export const ts = (millis: number): Date => new Date(millis);

/** A timestamptz column selected as milliseconds since the epoch, as the shared row mappers expect. */
export const millis = (column: string, as = column): string => `(extract(epoch FROM ${column}) * 1000)::bigint AS ${as}`;
