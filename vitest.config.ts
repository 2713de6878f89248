import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Engine-backed suites share one Postgres server; files run in parallel but each uses its own schema.
    pool: "forks",
  },
});
