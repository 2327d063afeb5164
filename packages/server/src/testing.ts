/**
 * Test support (`@safelight/server/testing`): the same integration suites run on every backend. A test
 * run picks one with SAFELIGHT_TEST_BACKEND (`sqlite`, the default, or `postgres`, which also puts the
 * signals on NATS); each data directory gets its own PostgreSQL schema and NATS subject prefix, derived
 * from its path, so a restarted server finds its data and no two tests share any.
 */
import Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { join } from "node:path";
import pg from "pg";
import { openStorage } from "./backends.js";
import { resolveConfig, type ServerOptions } from "./config.js";
import { randomId, sha256 } from "./crypto.js";

export type TestBackend = "sqlite" | "postgres";

export const testBackend: TestBackend = process.env.SAFELIGHT_TEST_BACKEND === "postgres" ? "postgres" : "sqlite";
export const testDatabaseUrl = process.env.SAFELIGHT_TEST_DATABASE ?? "postgres://root@127.0.0.1:5432/test";
export const testNatsUrl = process.env.SAFELIGHT_TEST_NATS ?? "nats://127.0.0.1:4222";
export const testRedisUrl = process.env.SAFELIGHT_TEST_REDIS ?? "redis://127.0.0.1:6379";

/** Tells this run's schemas apart from other runs' (set once per run by the global setup). */
const run = (process.env.SAFELIGHT_TEST_RUN ?? "adhoc").replace(/[^a-z0-9]/g, "");
export const testSchemaPrefix = `sl_${run}_`;

const tag = (dataDir: string) => createHash("sha256").update(dataDir).digest("hex").slice(0, 16);

/** Server options putting a server with this data directory on the run's backend. */
export function backendOptions(dataDir: string): ServerOptions {
  return testBackend === "sqlite" ? {} : clusterOptions(dataDir);
}

/** PostgreSQL, NATS and Redis options shared by every node started with the same `cluster` name (each
 *  node keeps its own data directory), whatever the run's backend. */
export function clusterOptions(cluster: string): ServerOptions {
  return {
    databaseUrl: testDatabaseUrl,
    databaseSchema: `${testSchemaPrefix}${tag(cluster)}`,
    natsUrl: testNatsUrl,
    natsPrefix: `sltest.${run}.${tag(cluster)}`,
    redisUrl: testRedisUrl,
    redisPrefix: `sltest:${run}:${tag(cluster)}`,
  };
}

/** The operator's view of a test server's store (for `setAccountRole` and the like). */
export function storageTarget(dataDir: string): ServerOptions & { dataDir: string } {
  return { dataDir, ...backendOptions(dataDir) };
}

/**
 * One SQL statement (`?` placeholders) on the store of the test server with this data directory, for
 * tests that inspect stored rows or play a misbehaving server. Both backends use the same table and
 * column names; values come back in each driver's types (PostgreSQL counts as strings, jsonb parsed).
 */
export async function queryTestStore<T = Record<string, unknown>>(dataDir: string, sql: string, params: unknown[] = []): Promise<T[]> {
  if (testBackend === "sqlite") {
    const db = new Database(join(dataDir, "safelight.db"));
    try {
      const statement = db.prepare(sql);
      if (statement.reader) return statement.all(...params) as T[];
      statement.run(...params);
      return [];
    } finally {
      db.close();
    }
  }
  const { databaseUrl, databaseSchema } = clusterOptions(dataDir);
  const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${databaseSchema}` });
  await client.connect();
  try {
    let n = 0;
    return (await client.query(sql.replace(/\?/g, () => `$${++n}`), params)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * Plays a compromised server (docs/key-transparency.md): issues a link code for the account of `owner`
 * that none of its devices asked for, so a test can enrol a ghost device through the real link route.
 */
export async function issueGhostLinkCode(dataDir: string, owner: { accountId: string; deviceId: string }): Promise<string> {
  const code = randomId();
  const storage = await openStorage(resolveConfig(storageTarget(dataDir)));
  try {
    await storage.createLinkCode(sha256(code), owner, Date.now() + 10 * 60 * 1000);
  } finally {
    await storage.close();
  }
  return code;
}

/** The same as environment variables, for a `safelight server` child process. */
export function backendEnv(dataDir: string): Record<string, string> {
  return testBackend === "sqlite" ? {} : clusterEnv(dataDir);
}

/** clusterOptions as environment variables, for `safelight server` child processes of one cluster. */
export function clusterEnv(cluster: string): Record<string, string> {
  const o = clusterOptions(cluster);
  return {
    SAFELIGHT_DATABASE_URL: o.databaseUrl!,
    SAFELIGHT_DATABASE_SCHEMA: o.databaseSchema!,
    SAFELIGHT_NATS_URL: o.natsUrl!,
    SAFELIGHT_NATS_PREFIX: o.natsPrefix!,
    SAFELIGHT_REDIS_URL: o.redisUrl!,
    SAFELIGHT_REDIS_PREFIX: o.redisPrefix!,
  };
}

/** Every value stored in a PostgreSQL schema, as text and hex, for the no-plaintext checks. */
export async function dumpPostgresSchema(url: string, schema: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const tables = await client.query<{ table_name: string }>("SELECT table_name FROM information_schema.tables WHERE table_schema = $1", [schema]);
    const out: string[] = [];
    for (const { table_name } of tables.rows) {
      const { rows } = await client.query(`SELECT * FROM "${schema}"."${table_name}"`);
      for (const row of rows as Record<string, unknown>[]) {
        for (const v of Object.values(row)) {
          if (Buffer.isBuffer(v)) out.push(v.toString("latin1"), v.toString("utf16le"));
          else out.push(typeof v === "string" ? v : JSON.stringify(v));
        }
      }
    }
    return out.join("\n");
  } finally {
    await client.end();
  }
}

/** Drops the schemas this run created (the global teardown calls it). */
export async function dropTestSchemas(url = testDatabaseUrl): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ nspname: string }>("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, $1)", [testSchemaPrefix]);
    for (const { nspname } of rows) await client.query(`DROP SCHEMA IF EXISTS "${nspname}" CASCADE`);
  } finally {
    await client.end();
  }
}
export { ServerNode, type ServerProcessOptions } from "./serverProcess.js";
