// Tests of the lint rules (eslint.config.js, tools/eslint/rules.js): a planted back-import must fail.
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { readFileSync } from "node:fs";
import { ESLint, Linter } from "eslint";
import tseslint from "typescript-eslint";
import { describe, expect, it } from "vitest";
import safelight from "./rules.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, "../..");

// The repository's own config; only the typed parsing is switched off, since the planted files
// exist only in memory (the layering rules need no types).
const eslint = new ESLint({
  cwd: root,
  overrideConfig: {
    files: ["**/*.{ts,tsx}"],
    languageOptions: { parserOptions: { projectService: false } },
    rules: { "safelight/no-byte-array-equality": "off" },
  },
});

async function lint(file: string, code: string) {
  const [result] = await eslint.lintText(code, { filePath: join(root, file) });
  return result!.messages;
}

describe("layering", () => {
  it("fails on a planted back-import of @safelight/server from packages/client/src", async () => {
    const messages = await lint("packages/client/src/planted.ts", 'import { startServer } from "@safelight/server";\nexport { startServer };\n');
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({ ruleId: "no-restricted-imports", severity: 2 });
    expect(messages[0]!.message).toContain("Layering: packages/client/src may import only @safelight/protocol");
  });

  it("fails on subpaths, re-exports and dynamic imports", async () => {
    const code = [
      'export { SqliteClientStore } from "@safelight/client/node";',
      'export * from "@safelight/cli";',
      'export const load = () => import("@safelight/client");',
    ].join("\n");
    const messages = await lint("packages/server/src/planted.ts", code);
    expect(messages.map((m) => m.ruleId)).toEqual(["no-restricted-imports", "no-restricted-imports", "no-restricted-syntax"]);
  });

  it("keeps protocol and pdq at the bottom and web off the server", async () => {
    expect(await lint("packages/protocol/src/planted.ts", 'import "@safelight/pdq";\n')).toHaveLength(1);
    expect(await lint("packages/pdq/src/planted.ts", 'import "@safelight/protocol";\n')).toHaveLength(1);
    expect(await lint("packages/web/src/planted.ts", 'import "@safelight/server";\n')).toHaveLength(1);
    expect(await lint("packages/web/src/planted.ts", 'import "@safelight/cli";\n')).toHaveLength(1);
  });

  it("keeps Node and sharp out of the pdq core, and allows them in its node entry", async () => {
    const planted = [
      'import { readFile } from "node:fs/promises";',
      'import { createReadStream } from "fs";',
      'import sharp from "sharp";',
      'export const load = () => import("sharp");',
      'export const bytes = Buffer.from("x");',
    ].join("\n");
    const messages = await lint("packages/pdq/src/lists/planted.ts", planted);
    expect(messages.map((m) => [m.line, m.ruleId])).toEqual([
      [1, "no-restricted-imports"],
      [2, "no-restricted-imports"],
      [3, "no-restricted-imports"],
      [4, "no-restricted-syntax"],
      [5, "no-restricted-globals"],
    ]);
    expect(messages[0]!.message).toContain("Browser core: packages/pdq/src");
    // The layering rule still holds in the core, beside the Node one.
    expect(await lint("packages/pdq/src/planted.ts", 'import "@safelight/protocol";\nimport "node:os";\n')).toHaveLength(2);
    // Names that only look alike are not Node modules.
    expect(await lint("packages/pdq/src/planted.ts", 'import "./fs.js";\nimport "sharp-ish";\n')).toEqual([]);
    expect(await lint("packages/pdq/src/node/planted.ts", planted)).toEqual([]);
    expect(await lint("packages/pdq/src/bench/planted.ts", planted)).toEqual([]);
    expect(await lint("packages/pdq/src/node/planted.ts", 'import "@safelight/protocol";\n')).toHaveLength(1);
  });

  it("keeps the HTTP errors module out of server storage, beside the layering", async () => {
    const planted = ['import { ApiError } from "../errors.js";', 'export const load = () => import("../../errors.js");', "export { ApiError };"].join("\n");
    const messages = await lint("packages/server/src/storage/planted.ts", planted);
    expect(messages.map((m) => [m.line, m.ruleId])).toEqual([
      [1, "no-restricted-imports"],
      [2, "no-restricted-syntax"],
    ]);
    expect(messages[0]!.message).toContain("Storage: packages/server/src/storage does not import errors.js");
    expect(await lint("packages/server/src/storage/postgres/planted.ts", 'import "../../errors.js";\n')).toHaveLength(1);
    // The layering rule still holds in storage; its own error module and the rest of the server are fine.
    expect(await lint("packages/server/src/storage/planted.ts", 'import "@safelight/client";\n')).toHaveLength(1);
    expect(await lint("packages/server/src/storage/planted.ts", 'import "./storageError.js";\nimport "../blobs/store.js";\n')).toEqual([]);
    expect(await lint("packages/server/src/routes/planted.ts", 'import "../errors.js";\n')).toEqual([]);
  });

  it("fails on a relative path into another package's src or dist", async () => {
    const messages = await lint("packages/client/src/session/planted.ts", 'import "../../../server/src/index.js";\n');
    expect(messages).toHaveLength(1);
    expect(messages[0]!.message).toContain("not by a relative path");
    expect(await lint("packages/web/test/planted.test.ts", 'import "../../server/dist/index.js";\n')).toHaveLength(1);
    // Shared test helpers are fine, and so are relative imports inside a package.
    expect(await lint("packages/web/test/planted.test.ts", 'import "../../cli/test/harness.js";\n')).toEqual([]);
    expect(await lint("packages/client/src/session/planted.ts", 'import "../store/types.js";\n')).toEqual([]);
  });

  it("allows the declared downward imports", async () => {
    expect(await lint("packages/client/src/planted.ts", 'import "@safelight/protocol";\n')).toEqual([]);
    expect(await lint("packages/cli/src/planted.ts", 'import "@safelight/server";\nimport "@safelight/client";\n')).toEqual([]);
    expect(await lint("packages/web/src/planted.ts", 'import "@safelight/client";\n')).toEqual([]);
  });

  it("lets tests import what their package declares, and nothing else", async () => {
    // packages/web declares @safelight/server as a devDependency; packages/pdq declares no workspace package.
    expect(await lint("packages/web/test/planted.test.ts", 'import "@safelight/server";\n')).toEqual([]);
    expect(await lint("packages/client/test/planted.test.ts", 'import "@safelight/server";\n')).toEqual([]);
    expect(await lint("packages/pdq/test/planted.test.ts", 'import "@safelight/server";\n')).toHaveLength(1);
    expect(await lint("packages/server/test/planted.test.ts", 'import "@safelight/client";\n')).toHaveLength(1);
  });
});

describe("safelight/no-byte-array-equality", () => {
  it("flags ===/!== between byte arrays, using type information", () => {
    const file = join(here, "fixtures/bytes.ts");
    const linter = new Linter();
    const messages = linter.verify(
      readFileSync(file, "utf8"),
      {
        files: ["**/*.ts"],
        languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: join(here, "fixtures") } },
        plugins: { safelight },
        rules: { "safelight/no-byte-array-equality": "error" },
      },
      file,
    );
    expect(messages.map((m) => [m.line, m.column, m.ruleId])).toEqual([
      [6, 25, "safelight/no-byte-array-equality"],
      [6, 34, "safelight/no-byte-array-equality"],
    ]);
  });
});

describe("safelight/no-secret-equality", () => {
  const linter = new Linter();
  const run = (code: string) =>
    linter.verify(code, {
      files: ["**/*.ts"],
      languageOptions: { parser: tseslint.parser },
      plugins: { safelight },
      rules: { "safelight/no-secret-equality": "error" },
    }, "x.ts");

  it("flags comparisons of values named like MACs, tags, tokens, secrets and hashes", () => {
    for (const code of ["f(mac === expected);", "f(a.authTag !== b);", "f(token == stored.token);", "f(computeHash(x) === h);", "f(x === sharedSecret);", "f(hmac === m);", "f(row.prev_hash !== h);", "f(expectedHMAC === m);"]) {
      expect(run(code), code).toHaveLength(1);
    }
  });

  it("leaves constants, null checks, typeof and lengths alone", () => {
    for (const code of ['f(token === undefined);', 'f(typeof token === "string");', "f(mac.length === 32);", "f(tag === Tag.Welcome);", "f(stage === other);", "f(hashtag === other);", "f(hashes === other);", 'f(location.hash === "#/x");']) {
      expect(run(code), code).toEqual([]);
    }
  });
});
