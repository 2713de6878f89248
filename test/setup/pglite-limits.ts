/**
 * What the PostgreSQL suites cannot do on PGlite, and the tests skipped for it when a run falls back to PGlite (no
 * server answered, outside CI: test/setup/postgres.ts). The list lives here, beside the fallback, rather than in the
 * test files: a test keeps asserting the real server's behaviour, and CI (always a real server) runs all of them.
 *
 * Server-side file reads (COPY FROM a file, pg_read_binary_file, pg_ls_dir) do work: the global setup mounts the
 * temporary folder and the shared data into PGlite's file system.
 *
 * An entry that no longer names a test is reported at the end of the run (test/setup/pglite-skip-reporter.ts), so a
 * renamed test cannot silently start failing on PGlite.
 */

/** Why a test cannot run on PGlite. */
export const PGLITE_LIMITS = {
  cancel:
    "PGlite is a single backend shared by every connection: pg_cancel_backend cannot stop one client's statement, and the long statement holds up every other connection",
  terminate: "PGlite is a single backend shared by every connection: pg_terminate_backend cannot drop one client's connection",
  "watch-running-step":
    "PGlite runs one connection's transaction at a time: another connection cannot watch a step while it runs (its queries wait until the step commits)",
  "any-database": "PGlite has a single database and accepts any name a client asks for: a connection cannot fail on a wrong database name",
} as const;

export type PgliteLimit = keyof typeof PGLITE_LIMITS;

/** A test skipped on PGlite: its file (from the repository root) and full name (`describe > ... > test`). */
export interface PgliteSkip {
  file: string;
  test: string;
  limit: PgliteLimit;
}

export const PGLITE_SKIPS: readonly PgliteSkip[] = [
  { file: "test/providers/connections.test.ts", test: "postgres connection > cancels a running statement of a session", limit: "cancel" },
  { file: "test/providers/connections.test.ts", test: "postgres retries > re-runs a transaction whose backend was terminated", limit: "terminate" },
  {
    file: "test/orchestrators/local-postgres.test.ts",
    test: "local orchestrator on PostgreSQL > a connection killed mid-step (pg_terminate_backend) is retried and the run completes without duplicates",
    limit: "terminate",
  },
  {
    file: "test/orchestrators/cli-run.test.ts",
    test: "omopetl run / status > PostgreSQL: killed with SIGKILL when the ledger shows the slow step running, then resumed: same tables as a clean run",
    limit: "watch-running-step",
  },
  {
    file: "test/cli/secrets.test.ts",
    test: "secrets never leave the process (canary) > a connection error that echoes a secret (a database name from a reference) is masked",
    limit: "any-database",
  },
];

/** Prefix of the skip note of a test skipped on PGlite (what the reporter looks for). */
export const PGLITE_NOTE_PREFIX = "PGlite: ";

/** The skip note for a test on PGlite, or undefined when it runs there. `file` is relative to the repository root. */
export function pgliteSkipNote(file: string, fullName: string): string | undefined {
  const entry = PGLITE_SKIPS.find((s) => s.file === file && s.test === fullName);
  return entry ? PGLITE_NOTE_PREFIX + PGLITE_LIMITS[entry.limit] : undefined;
}
