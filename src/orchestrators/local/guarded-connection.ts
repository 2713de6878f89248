import type { Connection, ExecuteResult } from "../../providers/provider-api.js";

/** Why a step was stopped from outside: its timeout, or the run being interrupted. */
export class StepStoppedError extends Error {
  /** Timeouts and interrupts are never retried. */
  readonly permanent = true;
  constructor(
    readonly reason: "timeout" | "interrupt",
    message: string,
  ) {
    super(message);
    this.name = "StepStoppedError";
  }
}

/**
 * A stop switch for one attempt of a step. A stop cancels the statement running on the step's session when the
 * provider supports it (`Connection.cancel`), and in any case takes effect at statement boundaries: the next
 * statement is refused and a transaction that already ran its last statement is rolled back instead of committed.
 * Without `cancel`, a statement already running finishes first.
 */
export class StopSwitch {
  private stopError: StepStoppedError | undefined;
  private readonly sessions = new Set<Connection>();

  get stopped(): StepStoppedError | undefined {
    return this.stopError;
  }

  /** Throws the stop error once stopped. */
  check(): void {
    if (this.stopError) throw this.stopError;
  }

  stop(error: StepStoppedError): void {
    if (this.stopError) return;
    this.stopError = error;
    for (const s of this.sessions) {
      try {
        // Best effort: the statement boundary check stops the step anyway.
        s.cancel?.().catch(() => undefined);
      } catch {
        // a synchronous throw from a third-party provider
      }
    }
  }

  track(s: Connection): void {
    this.sessions.add(s);
  }

  untrack(s: Connection): void {
    this.sessions.delete(s);
  }
}

/**
 * A Connection that consults a {@link StopSwitch} before every statement and before a transaction commits, and
 * wraps the sessions and transactions it hands out the same way. Steps run through it; the ledger does not.
 */
export class GuardedConnection implements Connection {
  readonly dialect: string;

  constructor(
    private readonly inner: Connection,
    private readonly stop: StopSwitch,
  ) {
    this.dialect = inner.dialect;
  }

  execute(sql: string): Promise<ExecuteResult> {
    this.stop.check();
    return this.inner.execute(sql);
  }

  query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    this.stop.check();
    return this.inner.query<T>(sql);
  }

  transaction<T>(fn: (tx: Connection) => Promise<T>): Promise<T> {
    this.stop.check();
    return this.inner.transaction(async (tx) => {
      this.stop.track(tx);
      try {
        const result = await fn(new GuardedConnection(tx, this.stop));
        // Stopped after the last statement: throwing here makes the provider roll back instead of committing.
        this.stop.check();
        return result;
      } finally {
        this.stop.untrack(tx);
      }
    });
  }

  session<T>(fn: (s: Connection) => Promise<T>): Promise<T> {
    this.stop.check();
    return this.inner.session(async (s) => {
      this.stop.track(s);
      try {
        return await fn(new GuardedConnection(s, this.stop));
      } finally {
        this.stop.untrack(s);
      }
    });
  }

  async cancel(): Promise<void> {
    await this.inner.cancel?.();
  }

  async close(): Promise<void> {
    // The underlying connection belongs to the orchestrator.
  }
}
