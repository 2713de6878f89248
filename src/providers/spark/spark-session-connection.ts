/**
 * The Connection every spark connection method returns (a Spark Thrift server, a Databricks SQL warehouse): a pool of
 * server sessions where plain calls borrow any session and `session(fn)` pins one (Spark's session state, temporary
 * views and SET, belongs to a session); transactions refused. A method supplies only how it opens, runs on and
 * closes its sessions ({@link SessionDriver}).
 */
import pRetry from "p-retry";
import type { Connection, ExecuteResult } from "../provider-api.js";
import { refuseTransaction } from "./spark-connection-rules.js";
import { isDeltaConflict } from "./spark-errors.js";

/** What a connection method does with its sessions (`S`: one open session and what it runs). */
export interface SessionDriver<S> {
  /** A free session, opened if the pool has room, else the next one released. */
  acquire(): Promise<S>;
  release(session: S): Promise<void>;
  /** Runs one statement to completion on `session`. */
  execute(session: S, sql: string): Promise<ExecuteResult>;
  query<T>(session: S, sql: string): Promise<T[]>;
  /** Cancels the statement running on `session`, if any. */
  cancel(session: S): Promise<void>;
  /** Closes every session, and the client. */
  close(): Promise<void>;
}

/** A method's pool of sessions, each knowing the statement running on it. */
export interface SessionPool<S extends { running?: { cancel(): Promise<unknown> } }> {
  acquire(): Promise<S>;
  release(session: S): Promise<void>;
  close(): Promise<void>;
}

/**
 * The {@link SessionDriver} of a method from its pool, how it runs a statement to its raw result `R`, and how it reads
 * a result's rows and affected-row count.
 */
export function sessionDriver<S extends { running?: { cancel(): Promise<unknown> } }, R>(
  pool: SessionPool<S>,
  run: (session: S, sql: string) => Promise<R>,
  read: { rows<T>(r: R): T[]; affected(r: R): ExecuteResult },
): SessionDriver<S> {
  return {
    acquire: () => pool.acquire(),
    release: (s) => pool.release(s),
    execute: async (s, sql) => read.affected(await run(s, sql)),
    query: async <T>(s: S, sql: string) => read.rows<T>(await run(s, sql)),
    // Spark: CancelOperation, after which the statement fails with SQLSTATE 57014.
    cancel: async (s) => {
      await s.running?.cancel().catch(() => undefined);
    },
    close: () => pool.close(),
  };
}

/** The temporary view a statement caches (`CACHE TABLE v AS ...`), and one it drops (`DROP VIEW IF EXISTS v`). */
const CACHES = /^\s*CACHE\s+TABLE\s+(`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)\s+AS\b/i;
const DROPS = /^\s*DROP\s+VIEW\s+(?:IF\s+EXISTS\s+)?(`(?:[^`]|``)+`|[A-Za-z_][A-Za-z0-9_]*)\s*$/i;

/**
 * The pool: plain calls borrow any session; `session` pins one (a step runs in one). Views cached (`CACHE TABLE`) in
 * a pinned session and not dropped, because a statement failed before the step's closing DROP VIEW, are dropped when
 * the session returns to the pool: the server keeps cached data in one cache shared by all sessions, and the data of
 * a view nobody drops stays in its heap (on 2026-12-04 the shared test server's 2 GB heap filled, old generation
 * 99.98% after 100+ full GCs, and it stopped answering, after hours of tests whose steps fail on purpose).
 */
export class SessionPoolConnection<S> implements Connection {
  readonly dialect = "spark";
  /** Per session, the views cached on it and not dropped yet. */
  private readonly cached = new Map<S, Set<string>>();

  constructor(
    private readonly driver: SessionDriver<S>,
    private readonly retry: { retries: number; retryDelayMs: number },
  ) {}

  /** Runs `sql` on a pinned `session`, keeping count of the views it caches and drops. */
  async run<R>(session: S, sql: string, go: (s: S, sql: string) => Promise<R>): Promise<R> {
    const cached = CACHES.exec(sql)?.[1];
    // Counted before the statement runs: a CACHE TABLE that fails midway may leave its view, and dropping a view that
    // does not exist does nothing.
    if (cached !== undefined) {
      const set = this.cached.get(session) ?? new Set<string>();
      set.add(cached);
      this.cached.set(session, set);
    }
    const r = await go(session, sql);
    const dropped = DROPS.exec(sql)?.[1];
    if (dropped !== undefined) this.cached.get(session)?.delete(dropped);
    return r;
  }

  /** Drops what a pinned session still caches (best effort: a broken session takes its views with it), then releases it. */
  private async release(session: S): Promise<void> {
    for (const view of this.cached.get(session) ?? []) await this.driver.execute(session, `DROP VIEW IF EXISTS ${view}`).catch(() => undefined);
    this.cached.delete(session);
    await this.driver.release(session);
  }

  /**
   * Runs `fn` on a borrowed session. Only Delta write conflicts are retried here: the losing statement's commit was
   * rejected whole, so running it again is what it would have done. A dropped connection or a 503 is not retried
   * (the statement may have committed); classifyError calls it transient so the step, idempotent, is re-run whole.
   */
  private withSession<T>(fn: (session: S) => Promise<T>): Promise<T> {
    return pRetry(
      async () => {
        const session = await this.driver.acquire();
        try {
          return await fn(session);
        } finally {
          await this.driver.release(session);
        }
      },
      { retries: this.retry.retries, minTimeout: this.retry.retryDelayMs, factor: 2, shouldRetry: ({ error }) => isDeltaConflict(error) },
    );
  }

  execute(sql: string): Promise<ExecuteResult> {
    return this.withSession((s) => this.driver.execute(s, sql));
  }

  query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return this.withSession((s) => this.driver.query<T>(s, sql));
  }

  transaction<T>(_fn: (tx: Connection) => Promise<T>): Promise<T> {
    return refuseTransaction();
  }

  /** One session for `fn`; getting it is not retried past the pool's own opening (its statements may have run). */
  async session<T>(fn: (s: Connection) => Promise<T>): Promise<T> {
    const session = await this.driver.acquire();
    try {
      return await fn(new PinnedSessionConnection(this.driver, session, this));
    } finally {
      await this.release(session);
    }
  }

  async close(): Promise<void> {
    await this.driver.close();
  }
}

/** A Connection bound to one session (owned by whoever pinned it). */
class PinnedSessionConnection<S> implements Connection {
  readonly dialect = "spark";
  constructor(
    private readonly driver: SessionDriver<S>,
    private readonly s: S,
    private readonly pool: Pick<SessionPoolConnection<S>, "run">,
  ) {}

  execute(sql: string): Promise<ExecuteResult> {
    return this.pool.run(this.s, sql, (x, q) => this.driver.execute(x, q));
  }

  query<T = Record<string, unknown>>(sql: string): Promise<T[]> {
    return this.pool.run(this.s, sql, (x, q) => this.driver.query<T>(x, q));
  }

  transaction<T>(_fn: (tx: Connection) => Promise<T>): Promise<T> {
    return refuseTransaction();
  }

  session<T>(fn: (s: Connection) => Promise<T>): Promise<T> {
    return fn(this);
  }

  /** Cancels the statement running on this session; it then fails (Spark: SQLSTATE 57014). */
  cancel(): Promise<void> {
    return this.driver.cancel(this.s);
  }

  async close(): Promise<void> {
    // The session belongs to the pool: closed with the connection.
  }
}
