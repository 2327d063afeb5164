/**
 * PostgreSQL for tests: the server CI provides (SAFELIGHT_TEST_DATABASE, default the local `test`
 * database), one fresh schema per call so runs and tests cannot collide, all dropped after the file.
 */
import pg from "pg";
import { afterAll } from "vitest";

export const testDatabaseUrl = process.env.SAFELIGHT_TEST_DATABASE ?? "postgres://root@127.0.0.1:5432/test";

let counter = 0;
const created: string[] = [];

/** A new schema name, registered to be dropped after the test file. */
export function pgTestSchema(): string {
  const schema = `sl_test_${process.pid}_${Date.now().toString(36)}_${++counter}`;
  created.push(schema);
  return schema;
}

/** Fails with what to do when PostgreSQL is not there, rather than a bare ECONNREFUSED. */
export async function requirePostgres(): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`PostgreSQL tests need a database at ${testDatabaseUrl} (set SAFELIGHT_TEST_DATABASE): ${String(err)}`);
  } finally {
    await client.end().catch(() => {});
  }
}

afterAll(dropCreatedSchemas);

async function dropCreatedSchemas(): Promise<void> {
  if (created.length === 0) return;
  const client = new pg.Client({ connectionString: testDatabaseUrl });
  await client.connect();
  for (const schema of created.splice(0)) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await client.end();
}
