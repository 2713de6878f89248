import os from "node:os";
import type { LedgerRun } from "./run-ledger.js";

/**
 * Whether the process that recorded a "running" run still exists: "gone" when it ran on this host and no process
 * has its pid any more (it was killed, or crashed, or could not record its end), "alive" when it does, "unknown"
 * when it ran on another host or the ledger predates host/pid.
 */
export function runProcessState(run: Pick<LedgerRun, "status" | "host" | "pid">): "alive" | "gone" | "unknown" {
  if (run.status !== "running" || run.host === undefined || run.pid === undefined) return "unknown";
  if (run.host !== os.hostname()) return "unknown";
  try {
    process.kill(run.pid, 0); // signal 0: only asks whether the process exists
    return "alive";
  } catch (e) {
    // EPERM: it exists, under another user.
    return (e as NodeJS.ErrnoException).code === "EPERM" ? "alive" : "gone";
  }
}

/** The status shown for a run: `running (process gone)` for a run whose process no longer exists. */
export function displayedRunStatus(run: Pick<LedgerRun, "status" | "host" | "pid">): string {
  return runProcessState(run) === "gone" ? "running (process gone)" : run.status;
}
