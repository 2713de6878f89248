import { readFileSync, rmSync, writeFileSync } from "node:fs";
import type { RunLockAttempt, RunLockHolder, RunLockScope } from "../provider-api.js";

/**
 * DuckDB's own file lock already keeps a second process off a database file (its ATTACH fails with "Could not set
 * lock on file"). What it does not do: keep two runs of one process apart (both attach through one process's lock),
 * or say who holds the file. Runs of this process are registered here by file; the holder also writes a small note
 * beside the file (`<file>.omopetl-run`) that a refused process reads to name it.
 */
const HELD = new Map<string, RunLockHolder>();

/** The note beside a database file naming the run that has it open. */
export function runNotePath(file: string): string {
  return `${file}.omopetl-run`;
}

/** The holder named by the note beside `file`, if any is readable. */
export function readRunNote(file: string): RunLockHolder | undefined {
  try {
    const h = JSON.parse(readFileSync(runNotePath(file), "utf8")) as Partial<RunLockHolder>;
    if (typeof h.runId === "string" && typeof h.host === "string" && typeof h.pid === "number" && typeof h.startedAt === "string") {
      return { runId: h.runId, host: h.host, pid: h.pid, startedAt: h.startedAt };
    }
  } catch {
    // no note, or not ours: the holder is unknown
  }
  return undefined;
}

/** Takes the run lock of a DuckDB database file (":memory:" databases are private to their connection: always free). */
export function acquireDuckDbRunLock(file: string, scope: RunLockScope): RunLockAttempt {
  if (file === ":memory:") return { held: true, release: async () => undefined };
  const other = HELD.get(file);
  if (other) return { held: false, holder: other };
  HELD.set(file, scope.holder);
  try {
    writeFileSync(runNotePath(file), `${JSON.stringify(scope.holder)}\n`);
  } catch {
    // The note only helps name the holder; the engine's file lock is what protects the file.
  }
  let released = false;
  return {
    held: true,
    release: async () => {
      if (released) return;
      released = true;
      HELD.delete(file);
      if (readRunNote(file)?.runId === scope.holder.runId) rmSync(runNotePath(file), { force: true });
    },
  };
}
