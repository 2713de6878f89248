/**
 * Vitest reporter: when the run fell back to PGlite (test/setup/postgres.ts), lists at the end the tests skipped for
 * it, grouped by reason. In every run, it reports entries of test/setup/pglite-limits.ts that name no test.
 */
import path from "node:path";
import type { Reporter, TestModule } from "vitest/node";
import { PG_KIND_ENV } from "../helpers/postgres-server.js";
import { repoRoot } from "../helpers/paths.js";
import { PGLITE_NOTE_PREFIX, PGLITE_SKIPS } from "./pglite-limits.js";

export default class PgliteSkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const byReason = new Map<string, string[]>();
    const seen = new Set<string>();
    const files = new Set<string>();
    for (const mod of testModules) {
      const file = path.relative(repoRoot, mod.moduleId).split(path.sep).join("/");
      files.add(file);
      for (const test of mod.children.allTests()) {
        seen.add(`${file}\n${test.fullName}`);
        const r = test.result();
        if (r.state === "skipped" && r.note?.startsWith(PGLITE_NOTE_PREFIX)) {
          const reason = r.note.slice(PGLITE_NOTE_PREFIX.length);
          byReason.set(reason, [...(byReason.get(reason) ?? []), `${file} > ${test.fullName}`]);
        }
      }
    }
    const out: string[] = [];
    if (process.env[PG_KIND_ENV] === "pglite") {
      const count = [...byReason.values()].reduce((n, l) => n + l.length, 0);
      out.push(`PostgreSQL suites ran on PGlite (no server answered); ${count} test${count === 1 ? "" : "s"} skipped, needing a real server:`);
      for (const [reason, tests] of byReason) {
        out.push(`  because ${reason}:`);
        for (const t of tests) out.push(`    - ${t}`);
      }
    }
    // Only files that ran can be checked (a run of one folder must not flag the others' entries).
    const stale = PGLITE_SKIPS.filter((s) => files.has(s.file) && !seen.has(`${s.file}\n${s.test}`));
    if (stale.length > 0) {
      out.push("test/setup/pglite-limits.ts names tests that do not exist (renamed?); they would fail on PGlite:");
      for (const s of stale) out.push(`    - ${s.file} > ${s.test}`);
    }
    if (out.length > 0) process.stdout.write(`\n${out.join("\n")}\n\n`);
  }
}
