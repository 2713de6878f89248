/**
 * Vitest setup file (runs in each worker before a test file loads): copies the PostgreSQL chosen by the global
 * setup (test/setup/postgres.ts) into the environment, where test/helpers/postgres-server.ts reads it and spawned
 * CLI processes inherit it; on PGlite, skips the tests listed in test/setup/pglite-limits.ts, with their reason.
 */
import path from "node:path";
import { beforeEach, inject } from "vitest";
import { repoRoot } from "../helpers/paths.js";
import { PG_KIND_ENV, PG_URL_ENV } from "../helpers/postgres-server.js";
import { pgliteSkipNote } from "./pglite-limits.js";

process.env[PG_URL_ENV] = inject("omopetlPgUrl");
process.env[PG_KIND_ENV] = inject("omopetlPgKind");

if (inject("omopetlPgKind") === "pglite") {
  beforeEach((ctx) => {
    const file = path.relative(repoRoot, ctx.task.file.filepath).split(path.sep).join("/");
    // The runner's fullName starts with the file; the list names tests as the reporters do, by their suites.
    const names: string[] = [];
    for (let t: { name: string; suite?: unknown } | undefined = ctx.task; t && t !== ctx.task.file; t = t.suite as typeof t) names.unshift(t.name);
    const note = pgliteSkipNote(file, names.join(" > "));
    if (note) ctx.skip(note);
  });
}
