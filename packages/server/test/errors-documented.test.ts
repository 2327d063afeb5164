import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ERROR_CODES } from "../src/errors.js";

const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");

describe("docs/errors.md", () => {
  it.each(Object.entries(ERROR_CODES))("documents %s with status %i", (code, status) => {
    expect(doc).toMatch(new RegExp(`^\\| \`${code}\` \\| ${status} \\|`, "m"));
  });

  it("documents no code the server does not define", () => {
    const documented = [...doc.matchAll(/^\| `(SL_ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });
});
