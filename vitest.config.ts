import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Engine-backed suites share one Postgres server; files run in parallel but each uses its own schema.
    pool: "forks",
    // Which Postgres: the server at OMOPETL_TEST_PG_URL, else (outside CI) PGlite, with what it cannot run skipped.
    globalSetup: ["./test/setup/postgres.ts"],
    setupFiles: ["./test/setup/postgres-env.ts"],
    reporters: ["default", "./test/setup/pglite-skip-reporter.ts"],
  },
});
