// ESLint flat config: the layering rules (docs/architecture.md, "Layering") and the
// byte-array / secret comparison rules (tools/eslint/rules.js).
import { readFileSync } from "node:fs";
import { builtinModules } from "node:module";
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

/**
 * The pdq core (docs/pdq.md) runs in the browser: no Node built-in (bare or `node:`), no sharp (a native
 * module), and no Node globals. Only its node entry (src/node/, "@safelight/pdq/node") and the benchmark
 * scripts (src/bench/) may use them.
 */
const browserCore = {
  pkg: "pdq",
  nodeSide: ["node", "bench"],
  message: "Browser core: packages/pdq/src (outside src/node/ and src/bench/) imports no Node built-in and no sharp; decoding and files belong in @safelight/pdq/node (docs/pdq.md).",
};
const nodeOnlyModule = `^(node:.*|sharp(/.*)?|${builtinModules.join("|")})$`;

/** Extra restrictions for `restrict`: modules matching `regex`, statically or dynamically, and `globals`. */
function banned(regex, message, globals = []) {
  return {
    patterns: [{ regex, message }],
    dynamic: [{ selector: `ImportExpression[source.value=/${regex.replaceAll("/", "\\/")}/]`, message: `Dynamic import: ${message}` }],
    globals: globals.map((name) => ({ name, message })),
  };
}

const browserCoreRules = () => banned(nodeOnlyModule, browserCore.message, ["Buffer", "process", "require", "__dirname", "__filename"]);

/**
 * Storage raises its own StorageError (src/storage/storageError.ts); the HTTP vocabulary in
 * src/errors.ts is the routes', which map one onto the other in src/storageErrorCodes.ts.
 */
const storageCore = {
  pkg: "server",
  dir: "storage",
  message: "Storage: packages/server/src/storage does not import errors.js; throw a StorageError, which the routes map to SL_ERR_* (src/storageErrorCodes.ts).",
};
const storageCoreRules = () => banned("^(\\.\\./)+errors(\\.js)?$", storageCore.message);

function restrict(forbidden, message, extra = { patterns: [], dynamic: [], globals: [] }) {
  const names = forbidden.map((p) => `@safelight/${p}`);
  const layered = forbidden.length === 0 ? [] : [{ group: names.flatMap((n) => [n, `${n}/*`]), message }];
  const dynamic = [
    ...(forbidden.length === 0
      ? []
      : [{ selector: `ImportExpression[source.value=/^@safelight\\/(${forbidden.join("|")})(\\/|$)/]`, message: `Dynamic import: ${message}` }]),
    ...extra.dynamic,
  ];
  return {
    "no-restricted-imports": ["error", { patterns: [...layered, intoPackage, ...extra.patterns] }],
    ...(dynamic.length > 0 ? { "no-restricted-syntax": ["error", ...dynamic] } : {}),
    ...(extra.globals.length > 0 ? { "no-restricted-globals": ["error", ...extra.globals] } : {}),
  };
}

/** The src config of `pkg`; for the browser core, split into the core (stricter) and its node side. */
function srcConfigs(pkg, forbidden, message) {
  const base = { name: `safelight/layers/${pkg}/src`, files: [`packages/${pkg}/src/**/*.{ts,tsx}`], rules: restrict(forbidden, message) };
  if (pkg === storageCore.pkg) {
    // Listed after the base: for storage files its rule options replace the base's, so it repeats the layering.
    return [base, { name: `safelight/layers/${pkg}/src/${storageCore.dir}`, files: [`packages/${pkg}/src/${storageCore.dir}/**/*.{ts,tsx}`], rules: restrict(forbidden, message, storageCoreRules()) }];
  }
  if (pkg !== browserCore.pkg) return [base];
  const nodeSide = browserCore.nodeSide.map((dir) => `packages/${pkg}/src/${dir}/**`);
  return [
    { ...base, name: `safelight/layers/${pkg}/src/core`, ignores: nodeSide, rules: restrict(forbidden, message, browserCoreRules()) },
    { ...base, name: `safelight/layers/${pkg}/src/node`, files: nodeSide.map((g) => `${g}/*.{ts,tsx}`) },
  ];
}

const layerConfigs = packages.flatMap((pkg) => {
  const deps = declared(pkg, false);
  const srcAllowed = layers[pkg].filter((p) => deps.includes(p));
  const srcForbidden = packages.filter((p) => p !== pkg && !srcAllowed.includes(p));
  const testAllowed = declared(pkg, true);
  const testForbidden = packages.filter((p) => p !== pkg && !testAllowed.includes(p));
  return [
    ...srcConfigs(
      pkg,
      srcForbidden,
      `Layering: packages/${pkg}/src may import only ${srcAllowed.map((p) => `@safelight/${p}`).join(", ") || "no workspace package"} (docs/architecture.md, Layering).`,
    ),
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
