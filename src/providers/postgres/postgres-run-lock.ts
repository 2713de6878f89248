import { createHash } from "node:crypto";
import type { Client } from "pg";
import type { RunLockAttempt, RunLockHolder, RunLockScope } from "../provider-api.js";

/** application_name prefix of the session holding a run lock; the rest says who (see {@link holderName}). */
const APP_PREFIX = "omopetl-run";

/**
 * The two 31-bit keys of the advisory lock of `schemas` (advisory locks are per database already). Non-negative so
 * that they read back unchanged from pg_locks' oid columns.
 */
export function runLockKeys(schemas: readonly string[]): [number, number] {
  const h = createHash("sha256").update(`omopetl run lock\0${[...schemas].sort().join("\0")}`).digest();
  return [h.readUInt32BE(0) & 0x7fffffff, h.readUInt32BE(4) & 0x7fffffff];
}

/**
 * The application_name of the lock's session: PostgreSQL keeps 63 bytes, enough for the run id and pid@host (a long
 * host name is cut); the start time is the session's own backend_start, opened as the run started.
 */
function holderName(h: RunLockHolder): string {
  return `${APP_PREFIX} ${h.runId} ${h.pid}@${h.host}`.slice(0, 63);
}

function parseHolder(name: string, startedAt: string): RunLockHolder | undefined {
  const m = /^omopetl-run (\S+) (\d+)@(\S+)$/.exec(name);
  return m ? { runId: m[1]!, pid: Number(m[2]), host: m[3]!, startedAt } : undefined;
}

/**
 * Takes the run lock of `scope` on a session of its own (`open` gives a new client, outside the pool, so the lock
 * lives exactly as long as that session: released on `release()`, or by the server when the process dies and its
 * connection drops). One advisory lock per physical schema, so two runs conflict when they share any schema.
 * `pg_try_advisory_lock` never waits; the orchestrator polls when asked to wait.
 */
export async function acquirePostgresRunLock(open: (applicationName: string) => Promise<Client>, scope: RunLockScope): Promise<RunLockAttempt> {
  const keys = [...new Set(scope.schemas)].sort().map((s) => runLockKeys([s]));
  const client = await open(holderName(scope.holder));
  let keep = false;
  try {
    // A holder that ends between our try and our look at pg_locks leaves no name behind: the lock is free, try again.
    for (let attempt = 0; ; attempt++) {
      const r = await tryAll(client, keys);
      if (r.held) break;
      if (r.holder || attempt >= 4) return { held: false, holder: r.holder };
    }
    keep = true;
    let released = false;
    return {
      held: true,
      // Ending the session releases every advisory lock it holds.
      release: async () => {
        if (released) return;
        released = true;
        await client.end().catch(() => undefined);
      },
    };
  } finally {
    if (!keep) await client.end().catch(() => undefined);
  }
}

/** Tries every key in order; on the first refusal releases those taken and says who holds the refused one. */
async function tryAll(client: Client, keys: readonly [number, number][]): Promise<{ held: true } | { held: false; holder: RunLockHolder | undefined }> {
  for (const [i, [k1, k2]] of keys.entries()) {
      const r = await client.query<{ ok: boolean }>("SELECT pg_catalog.pg_try_advisory_lock($1::int, $2::int) AS ok", [k1, k2]);
      if (r.rows[0]?.ok) continue;
      // Who holds it: the session's application_name, set by the holder when it connected.
      const who = await client.query<{ name: string; started: string }>(
        `SELECT a.application_name AS name, to_char(a.backend_start AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS started FROM pg_catalog.pg_locks AS l JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
         WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
           AND l.classid = $1::int::oid AND l.objid = $2::int::oid AND l.objsubid = 2`,
        [k1, k2],
      );
      for (const [a, b] of keys.slice(0, i)) await client.query("SELECT pg_catalog.pg_advisory_unlock($1::int, $2::int)", [a, b]);
      return { held: false, holder: who.rows[0] ? parseHolder(who.rows[0].name, who.rows[0].started) : undefined };
    }
  return { held: true };
}
