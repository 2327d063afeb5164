import { describe, expect, it } from "vitest";
import { messageId, randomId } from "../src/crypto.js";

describe("ids", () => {
  it("randomId: base64url of fresh bytes, never repeated across pool refills", () => {
    const ids = new Set(Array.from({ length: 2000 }, () => randomId()));
    expect(ids.size).toBe(2000);
    // 2000 draws would start with "-" about 31 times if nothing prevented it (the CLI reads those as options).
    for (const id of ids) expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
    expect(randomId(32)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(randomId(5000)).toHaveLength(Math.ceil((5000 * 4) / 3));
  });

  it("messageId: accept time in the first 6 bytes, 80 random bits after, 22 characters", () => {
    const now = Date.UTC(2026, 10, 29, 12, 0, 0, 123);
    const ids = Array.from({ length: 1000 }, () => messageId(now));
    expect(new Set(ids).size).toBe(1000);
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(id, "base64url").readUIntBE(0, 6)).toBe(now);
    }
    // Close times share the leading characters, which is what keeps index inserts together.
    expect(messageId(now).slice(0, 6)).toBe(messageId(now + 1).slice(0, 6));
  });
});
