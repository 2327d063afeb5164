// ESLint flat config: the layering rules (docs/architecture.md, "Layering") and the
// byte-array / secret comparison rules (tools/eslint/rules.js).
import { readFileSync } from "node:fs";
import tseslint from "typescript-eslint";
import safelight from "./tools/eslint/rules.js";

/**
 * Which workspace packages each package's src may import. Imports go one way:
 *   protocol, pdq -> client -> cli, web
 *   protocol, pdq -> server -> cli
 * Tests (test/, screenshots/, config files) may import any package their package.json declares.
 */
export const layers = {
  protocol: [],
  pdq: [],
  server: ["protocol", "pdq"],
  client: ["protocol", "pdq"],
  cli: ["protocol", "pdq", "server", "client"],
  web: ["protocol", "pdq", "client"],
};
const packages = Object.keys(layers);

function declared(pkg, withDev) {
  const json = JSON.parse(readFileSync(new URL(`./packages/${pkg}/package.json`, import.meta.url), "utf8"));
  const names = Object.keys({ ...json.dependencies, ...(withDev ? json.devDependencies : {}) });
  return packages.filter((p) => names.includes(`@safelight/${p}`));
}

// A relative path into another package's src/ or dist/ would bypass the package boundary
// (and these rules). Test helpers (../../cli/test/harness.js) may be shared between tests.
const intoPackage = {
  regex: `^(\\.\\./)+(${packages.join("|")})/(src|dist)(/|$)`,
  message: "Layering: import a workspace package by its name (@safelight/...), not by a relative path into its src/ or dist/.",
};

function restrict(forbidden, message) {
  if (forbidden.length === 0) return { "no-restricted-imports": ["error", { patterns: [intoPackage] }] };
  const names = forbidden.map((p) => `@safelight/${p}`);
  const alternation = forbidden.join("|");
  return {
    "no-restricted-imports": ["error", { patterns: [{ group: names.flatMap((n) => [n, `${n}/*`]), message }, intoPackage] }],
    "no-restricted-syntax": [
      "error",
      {
        selector: `ImportExpression[source.value=/^@safelight\\/(${alternation})(\\/|$)/]`,
        message: `Dynamic import: ${message}`,
      },
    ],
  };
}

const layerConfigs = packages.flatMap((pkg) => {
  const deps = declared(pkg, false);
  const srcAllowed = layers[pkg].filter((p) => deps.includes(p));
  const srcForbidden = packages.filter((p) => p !== pkg && !srcAllowed.includes(p));
  const testAllowed = declared(pkg, true);
  const testForbidden = packages.filter((p) => p !== pkg && !testAllowed.includes(p));
  return [
    {
      name: `safelight/layers/${pkg}/src`,
      files: [`packages/${pkg}/src/**/*.{ts,tsx}`],
      rules: restrict(
        srcForbidden,
        `Layering: packages/${pkg}/src may import only ${srcAllowed.map((p) => `@safelight/${p}`).join(", ") || "no workspace package"} (docs/architecture.md, Layering).`,
      ),
    },
    {
      name: `safelight/layers/${pkg}/tests`,
      files: [`packages/${pkg}/**/*.{ts,tsx}`],
      ignores: [`packages/${pkg}/src/**`],
      rules: restrict(
        testForbidden,
        `Layering: tests of ${pkg} may import only the workspace packages packages/${pkg}/package.json declares (docs/architecture.md, Layering).`,
      ),
    },
  ];
});

export default [
  { name: "safelight/ignores", ignores: ["**/dist/**", "**/node_modules/**", "packages/web/public/**", "tools/eslint/fixtures/**"] },
  {
    name: "safelight/base",
    files: ["**/*.{ts,tsx}"],
    languageOptions: { parser: tseslint.parser, sourceType: "module" },
    linterOptions: { reportUnusedDisableDirectives: "off" },
    // typescript-eslint's plugin is registered (no rules on) so existing inline directives name known rules.
    plugins: { safelight, "@typescript-eslint": tseslint.plugin },
    rules: { "safelight/no-secret-equality": "error" },
  },
  {
    // Typed lint only over src (type-aware lint of every test is slow on two cores).
    name: "safelight/typed-src",
    files: ["packages/*/src/**/*.{ts,tsx}"],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { "safelight/no-byte-array-equality": "error" },
  },
  ...layerConfigs,
];
