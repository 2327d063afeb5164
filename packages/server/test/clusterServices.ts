/**
 * NATS for tests: the server CI provides (SAFELIGHT_TEST_NATS, default the local one). Each call gives
 * a fresh subject prefix so runs and tests cannot hear each other.
 */
import { randomBytes } from "node:crypto";

export const testNatsUrl = process.env.SAFELIGHT_TEST_NATS ?? "nats://127.0.0.1:4222";

export function natsTestPrefix(): string {
  return `sltest.${randomBytes(6).toString("hex")}`;
}
