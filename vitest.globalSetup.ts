/**
 * Once per `vitest run`: names this run (its PostgreSQL schemas and NATS subjects carry the name, so
 * concurrent runs cannot collide) and drops the run's schemas at the end.
 */
import { randomBytes } from "node:crypto";

export async function setup(): Promise<void> {
  process.env.SAFELIGHT_TEST_RUN ??= `r${randomBytes(4).toString("hex")}`;
}

export async function teardown(): Promise<void> {
  const { dropTestSchemas } = await import("./packages/server/dist/testing.js");
  await dropTestSchemas().catch((err: unknown) => console.warn(`could not drop this run's test schemas: ${String(err)}`));
}
