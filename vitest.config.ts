import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    // Integration tests start real server processes; give them room on a 2-core machine.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    maxWorkers: 2,
    globalSetup: ["./vitest.globalSetup.ts"],
    projects: [
      { extends: true, test: { name: "sqlite", include: ["packages/*/test/**/*.test.ts"], env: { SAFELIGHT_TEST_BACKEND: "sqlite" } } },
    ],
  },
});
