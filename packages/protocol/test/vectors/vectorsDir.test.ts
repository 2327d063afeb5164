// The vectors location is one setting, SAFELIGHT_VECTORS; a wrong value must fail loudly.
import { afterEach, describe, expect, it } from "vitest";
import { VECTORS_SETTING, vectorPath, vectorsDir } from "../vectorsDir.js";

describe("vectorsDir", () => {
  const saved = process.env[VECTORS_SETTING];
  afterEach(() => {
    if (saved === undefined) delete process.env[VECTORS_SETTING];
    else process.env[VECTORS_SETTING] = saved;
  });

  it("names the setting and the path when the directory is missing", () => {
    process.env[VECTORS_SETTING] = "/nonexistent/safelight-vectors";
    expect(() => vectorsDir()).toThrow(/\/nonexistent\/safelight-vectors/);
    expect(() => vectorsDir()).toThrow(/SAFELIGHT_VECTORS/);
  });

  it("names the setting when one file is missing", () => {
    expect(() => vectorPath("mls", "no-such-file.json")).toThrow(/no-such-file\.json.*SAFELIGHT_VECTORS/);
  });

  it("resolves the MLS vectors in place", () => {
    expect(vectorPath("mls", "tree-math.json")).toMatch(/mls\/tree-math\.json$/);
  });
});
