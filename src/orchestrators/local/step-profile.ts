import type { Connection, ExecuteResult } from "../../providers/provider-api.js";
import type { RunLedger } from "../ledger/run-ledger.js";
import type { ProfilePhase, StepProfile } from "../orchestrator-api.js";

/** The first line of a statement that says what it does (comments skipped), whitespace collapsed, cut to `max`. */
export function statementHead(sql: string, max = 96): string {
  const line = sql
    .split("\n")
    .map((l) => l.trim())
    .find((l) => l !== "" && !l.startsWith("--"));
  const head = (line ?? sql.trim()).replace(/\s+/g, " ");
  return head.length > max ? `${head.slice(0, max - 1)}…` : head;
}

/**
 * Times one step for `run --profile`: every statement its connection runs, under the phase the step runner is in
 * (its own statements, the row accounting's counts, the coverage report, the failure probes), and every call to the
 * run ledger. Wall time measured by the client around each call: for an embedded engine that is the engine's own
 * time; for a server it adds the round trip.
 */
export class StepProfiler {
  private phase: ProfilePhase = "statements";
  private readonly statements: StepProfile["statements"] = [];
  private readonly phases: Record<ProfilePhase, number> = { statements: 0, accounting: 0, coverage: 0, locate: 0, ledger: 0 };

  /** Statements run from now on count under `phase`. */
  enter(phase: ProfilePhase): void {
    this.phase = phase;
  }

  /** Records one call; `ms` since `t0`. */
  record(sql: string, t0: number, rows?: number): void {
    const ms = performance.now() - t0;
    this.phases[this.phase] += ms;
    this.statements.push({ phase: this.phase, sql: statementHead(sql), ms: round(ms), ...(rows !== undefined ? { rows } : {}) });
  }

  /** `conn`, its sessions and transactions timed statement by statement. */
  wrap(conn: Connection): Connection {
    return new ProfiledConnection(conn, this);
  }

  /** `ledger` with each of its asynchronous methods timed under the phase "ledger". */
  wrapLedger(ledger: RunLedger): RunLedger {
    return new Proxy(ledger, {
      get: (target, prop, receiver) => {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          const out = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (!(out instanceof Promise)) return out;
          const t0 = performance.now();
          return out.finally(() => {
            const ms = performance.now() - t0;
            this.phases.ledger += ms;
            this.statements.push({ phase: "ledger", sql: `ledger.${String(prop)}`, ms: round(ms) });
          });
        };
      },
    });
  }

  /** The profile so far. */
  result(): StepProfile {
    const phases = Object.fromEntries(Object.entries(this.phases).map(([k, v]) => [k, round(v)])) as Record<ProfilePhase, number>;
    return { phases, statements: [...this.statements] };
  }
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

/** A Connection timing every statement it (and the sessions and transactions it hands out) runs. */
class ProfiledConnection implements Connection {
  readonly dialect: string;

  constructor(
    private readonly inner: Connection,
    private readonly profiler: StepProfiler,
  ) {
    this.dialect = inner.dialect;
  }

  async execute(sql: string): Promise<ExecuteResult> {
    const t0 = performance.now();
    const r = await this.inner.execute(sql);
    this.profiler.record(sql, t0, r.rowCount);
    return r;
  }

  async query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    const t0 = performance.now();
    const rows = await this.inner.query<T>(sql);
    this.profiler.record(sql, t0);
    return rows;
  }

  /**
   * Also records what the transaction costs beyond its statements, as one entry "BEGIN … COMMIT": opening and
   * committing it, where an engine may do real work (DuckDB checkpoints its WAL into the file at a commit).
   */
  async transaction<T>(fn: (tx: Connection) => Promise<T>): Promise<T> {
    const t0 = performance.now();
    let inside = 0;
    try {
      return await this.inner.transaction(async (tx) => {
        const f0 = performance.now();
        try {
          return await fn(new ProfiledConnection(tx, this.profiler));
        } finally {
          inside += performance.now() - f0;
        }
      });
    } finally {
      this.profiler.record("BEGIN … COMMIT (the transaction itself, outside its statements)", t0 + inside);
    }
  }

  session<T>(fn: (s: Connection) => Promise<T>): Promise<T> {
    return this.inner.session((s) => fn(new ProfiledConnection(s, this.profiler)));
  }

  cancel(): Promise<void> {
    return this.inner.cancel ? this.inner.cancel() : Promise.resolve();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
