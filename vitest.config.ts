import { defineConfig } from "vitest/config";

/**
 * The integration suites (they start servers through packages/server/test/helpers.ts or
 * packages/cli/test/harness.ts, which put them on SAFELIGHT_TEST_BACKEND) run once per backend.
 * Contract tests that already run on every backend themselves (storage, notifier, rate limits,
 * franking, the *Store tests), the multi-node tests (always PostgreSQL), the SQLite-to-PostgreSQL
 * migration and pure unit tests run once, in the sqlite project.
 */
const integrationSuites = [
  "packages/server/test/{auth,authorization-matrix,badInput,blobs,devices,durability,groups,keyPackages,keyTransparency,knownImages,limits,mlsChecks,queue,resourceLimits,safetyChecks,smoke}.test.ts",
  "packages/client/test/{concurrency,controls,deviceChanges,keyTransparency,linking,moderationTypes,reports}.test.ts",
  "packages/cli/test/{controls,devices,messaging,safety,keyTransparency,knownImages,verify}.test.ts",
];

export default defineConfig({
  test: {
    // Integration tests start real server processes; give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    globalSetup: ["./vitest.globalSetup.ts"],
    projects: [
      { extends: true, test: { name: "sqlite", include: ["packages/*/test/**/*.test.ts", "tools/**/*.test.ts"], env: { SAFELIGHT_TEST_BACKEND: "sqlite" } } },
      { extends: true, test: { name: "postgres", include: integrationSuites, env: { SAFELIGHT_TEST_BACKEND: "postgres" } } },
    ],
  },
});
