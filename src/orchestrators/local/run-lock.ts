import os from "node:os";
import { OmopetlError } from "../../core/diagnostics/diagnostic.js";
import type { Connection, RunLockHolder } from "../../providers/provider-api.js";
import { targetLocked } from "../orchestrator-errors.js";

/** How often a waiting run asks for the lock again. */
const POLL_MS = 1000;

/** A held run lock. */
export interface HeldRunLock {
  release(): Promise<void>;
}

export interface TakeRunLockOptions {
  runId: string;
  startedAt: Date;
  /** The target as shown to the user. */
  target: string;
  /** Physical schemas of the run on the target. */
  schemas: readonly string[];
  /** Wait up to this many seconds for another run to finish; undefined: stop at once. */
  waitSeconds?: number;
  signal: AbortSignal;
  warn(message: string): void;
}

/**
 * Takes the target's run lock before the run's first statement, so that two runs (a scheduler retrying a job
 * still running, two people pressing run) never write the same CDM at once: the second one waits, when asked to,
 * or stops with TARGET_LOCKED naming the run that holds it. A provider without the capability is reported, once.
 */
export async function takeRunLock(conn: Connection, o: TakeRunLockOptions): Promise<HeldRunLock | undefined> {
  if (!conn.acquireRunLock) {
    o.warn(`the ${conn.dialect} provider cannot lock its target: nothing stops another run from writing the same schemas at the same time`);
    return undefined;
  }
  const holder: RunLockHolder = { runId: o.runId, host: os.hostname(), pid: process.pid, startedAt: o.startedAt.toISOString() };
  const t0 = Date.now();
  let told = false;
  for (;;) {
    const attempt = await conn.acquireRunLock({ schemas: o.schemas, holder });
    if (attempt.held) return { release: attempt.release };
    const waited = Math.round((Date.now() - t0) / 1000);
    if (o.waitSeconds === undefined || Date.now() - t0 >= o.waitSeconds * 1000 || o.signal.aborted) {
      throw targetLocked(o.target, o.schemas, attempt.holder, o.waitSeconds === undefined ? undefined : waited);
    }
    if (!told) {
      told = true;
      const who = attempt.holder ? `run ${attempt.holder.runId} (pid ${attempt.holder.pid} on ${attempt.holder.host})` : "another session";
      o.warn(`waiting up to ${o.waitSeconds} s for ${who} to release ${o.target}`);
    }
    await sleep(Math.min(POLL_MS, o.waitSeconds * 1000 - (Date.now() - t0)), o.signal);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, Math.max(0, ms));
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Connects, waiting (when asked) while the engine itself refuses because another process holds the target: DuckDB
 * cannot even open a file another process writes, so for it the wait happens here rather than in {@link takeRunLock}.
 */
export async function connectWaitingForLock<C>(connect: () => Promise<C>, waitSeconds: number | undefined, signal: AbortSignal, warn: (m: string) => void): Promise<C> {
  const t0 = Date.now();
  let told = false;
  for (;;) {
    try {
      return await connect();
    } catch (e) {
      const locked = e instanceof OmopetlError && e.diagnostic.code === "TARGET_LOCKED";
      if (!locked || waitSeconds === undefined || Date.now() - t0 >= waitSeconds * 1000 || signal.aborted) throw e;
      if (!told) {
        told = true;
        warn(`waiting up to ${waitSeconds} s for the run holding the target to finish`);
      }
      await sleep(Math.min(POLL_MS, waitSeconds * 1000 - (Date.now() - t0)), signal);
    }
  }
}
