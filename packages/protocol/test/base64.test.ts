import { describe, expect, it } from "vitest";
import { fromB64, toB64 } from "../src/index.js";

describe("base64url", () => {
  it("round-trips every length and matches RFC 4648 §5 without padding", () => {
    for (let n = 0; n < 70; n++) {
      const bytes = crypto.getRandomValues(new Uint8Array(n));
      const text = toB64(bytes);
      expect(text).toBe(Buffer.from(bytes).toString("base64url"));
      expect(fromB64(text)).toEqual(bytes);
    }
  });

  it("refuses padding, the standard alphabet, impossible lengths and non-canonical trailing bits", () => {
    for (const bad of ["AAA=", "A+/A", "A", "AB", "AAB", "a b"]) expect(fromB64(bad), bad).toBeUndefined();
    expect(fromB64("")).toEqual(new Uint8Array(0));
  });
});
