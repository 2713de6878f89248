/**
 * The one place tests get the PostgreSQL to talk to. test/setup/postgres.ts (vitest globalSetup) decides it once per
 * run: the server at OMOPETL_TEST_PG_URL when it answers, else (outside CI) an in-process PGlite behind a
 * wire-protocol socket, and test/setup/postgres-env.ts hands the choice to every worker through the environment
 * (which the CLI processes the tests spawn inherit).
 */

/** Environment variable naming the test server (a developer may point it elsewhere). */
export const PG_URL_ENV = "OMOPETL_TEST_PG_URL";
/** Environment variable saying what answers at {@link PG_URL}: "server" or "pglite" (set by the global setup). */
export const PG_KIND_ENV = "OMOPETL_TEST_PG_KIND";
/** The test server of the development and CI machines. */
export const DEFAULT_PG_URL = "postgres://postgres@127.0.0.1:5432/test";

/** What answers at {@link PG_URL}. */
export type PgKind = "server" | "pglite";

/** The PostgreSQL the tests use. */
export const PG_URL: string = process.env[PG_URL_ENV] ?? DEFAULT_PG_URL;
/** What answers at {@link PG_URL}: a real server unless the global setup started PGlite. */
export const PG_KIND: PgKind = process.env[PG_KIND_ENV] === "pglite" ? "pglite" : "server";
/** True when the PostgreSQL suites run on PGlite (no server answered, outside CI). */
export const ON_PGLITE: boolean = PG_KIND === "pglite";
