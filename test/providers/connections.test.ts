/**
 * Connections: transactions and sessions, value shapes alike across engines, retries of transient Postgres
 * failures (a terminated backend, a serialization failure), configuration and connection errors.
 */
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import type { Connection } from "../../src/providers/provider-api.js";
import type { Engine } from "./helpers/engines.js";
import { PG_URL, openEngine, readableTempDir, removeDir } from "./helpers/engines.js";

describe.each(["duckdb", "postgres"] as const)("%s connection", (name) => {
  let engine: Engine;
  let t: string;
  beforeAll(async () => {
    engine = await openEngine(name, "conn");
    const s = engine.schemas["staging"]!;
    await engine.conn.execute(`CREATE SCHEMA "${s}"`);
    t = `"${s}".t`;
    await engine.conn.execute(`CREATE TABLE ${t} (x INTEGER)`);
  });
  afterAll(async () => {
    await engine?.dispose();
  });

  it("returns the same value shapes as every other provider", async () => {
    const rows = await engine.conn.query(
      "SELECT CAST(1 AS INTEGER) AS i, CAST(2 AS BIGINT) AS b, CAST(1.5 AS NUMERIC(10,2)) AS n, DATE '2020-01-02' AS d, " +
        "TIMESTAMP '2020-01-02 03:04:05' AS ts, TRUE AS t, CAST(NULL AS VARCHAR) AS z, 'ü' AS s",
    );
    expect(rows).toEqual([{ i: 1, b: "2", n: "1.50", d: "2020-01-02", ts: "2020-01-02 03:04:05", t: true, z: null, s: "ü" }]);
  });

  it("commits a transaction, rolls it back when it throws, and reports written rows", async () => {
    const r = await engine.conn.transaction(async (tx) => tx.execute(`INSERT INTO ${t} VALUES (1), (2)`));
    expect(r.rowCount).toBe(2);
    await expect(
      engine.conn.transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${t} VALUES (3)`);
        // nested calls run inline, in the same transaction
        await tx.transaction((inner) => inner.execute(`DELETE FROM ${t}`));
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    expect((await engine.conn.query<{ x: number }>(`SELECT x FROM ${t} ORDER BY x`)).map((r) => r.x)).toEqual([1, 2]);
    expect((await engine.conn.execute(`DELETE FROM ${t} WHERE x = 2`)).rowCount).toBe(1);
    expect((await engine.conn.execute(`SELECT 1`)).rowCount).toBeUndefined();
  });

  it("keeps session state (temp tables) across the statements of a session", async () => {
    const n = await engine.conn.session(async (s) => {
      await s.execute("CREATE TEMPORARY TABLE tmp_session (x INTEGER)");
      await s.execute("INSERT INTO tmp_session VALUES (7)");
      return s.query<{ x: number }>("SELECT x FROM tmp_session");
    });
    expect(n).toEqual([{ x: 7 }]);
  });

  it("cancels a running statement of a session", async () => {
    const slow = name === "duckdb" ? "SELECT count(*) FROM range(100000000000) AS r(x) WHERE x % 7 = 3" : "SELECT pg_sleep(30)";
    const started = Date.now();
    const outcome = await engine.conn.session(async (s) => {
      const running = s.query(slow).then(
        () => "finished",
        (e: unknown) => (e instanceof Error ? e.message : String(e)),
      );
      await new Promise((r) => setTimeout(r, 300));
      await s.cancel!();
      return running;
    });
    expect(outcome).toMatch(/interrupt|cancel/i);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("runs transactions concurrently", async () => {
    await Promise.all(
      [10, 20, 30].map((v) => engine.conn.transaction(async (tx) => {
        await tx.execute(`INSERT INTO ${t} VALUES (${v})`);
        await tx.query("SELECT 1");
      })),
    );
    expect((await engine.conn.query<{ x: number }>(`SELECT x FROM ${t} WHERE x >= 10 ORDER BY x`)).map((r) => r.x)).toEqual([10, 20, 30]);
  });
});

describe("duckdb conflicts", () => {
  it("re-runs a transaction that lost a write-write conflict to a concurrent one", async () => {
    const conn = await duckdbProvider.connect!({ provider: "duckdb" });
    try {
      const pause = () => new Promise((r) => setTimeout(r, 30));
      const attempts = [0, 0];
      await Promise.all(
        [0, 1].map((i) =>
          conn.transaction(async (tx) => {
            attempts[i]!++;
            await tx.execute("CREATE SCHEMA IF NOT EXISTS shared");
            await pause();
            await tx.execute(`CREATE TABLE IF NOT EXISTS shared.t${i} (x INTEGER)`);
          }),
        ),
      );
      expect(attempts[0]! + attempts[1]!).toBe(3);
      expect(await conn.query("SELECT table_name FROM duckdb_tables() WHERE schema_name = 'shared' ORDER BY 1")).toEqual([{ table_name: "t0" }, { table_name: "t1" }]);
    } finally {
      await conn.close();
    }
  });
});

describe("postgres retries", () => {
  let conn: Connection;
  beforeAll(async () => {
    conn = await postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 2, retryDelayMs: 10 });
  });
  afterAll(async () => {
    await conn?.close();
  });

  it("re-runs a transaction whose backend was terminated", async () => {
    let attempts = 0;
    const result = await conn.transaction(async (tx) => {
      attempts++;
      if (attempts === 1) await tx.query("SELECT pg_terminate_backend(pg_backend_pid())");
      return tx.query<{ v: number }>("SELECT 42 AS v");
    });
    expect(result).toEqual([{ v: 42 }]);
    expect(attempts).toBe(2);
  });

  it("re-runs a transaction after a serialization failure or deadlock, not after other errors", async () => {
    let attempts = 0;
    await conn.transaction(async (tx) => {
      attempts++;
      if (attempts === 1) await tx.execute("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$");
      if (attempts === 2) await tx.execute("DO $$ BEGIN RAISE EXCEPTION 'deadlock' USING ERRCODE = '40P01'; END $$");
    });
    expect(attempts).toBe(3);
    attempts = 0;
    await expect(
      conn.transaction(async (tx) => {
        attempts++;
        await tx.execute("SELECT 1/0");
      }),
    ).rejects.toThrow(/division by zero/);
    expect(attempts).toBe(1);
  });
});

describe("connection errors", () => {
  const code = (e: unknown): string | undefined => (e instanceof OmopetlError ? e.diagnostic.code : undefined);

  it("reports an unreachable Postgres server", async () => {
    const e = await postgresProvider.connect!({ provider: "postgres", url: "postgres://postgres:secret@127.0.0.1:1/test", retries: 0 }).catch((x: unknown) => x);
    expect(code(e)).toBe("CONNECTION_FAILED");
    expect((e as Error).message).not.toContain("secret");
  });

  it("reports invalid target options", async () => {
    expect(code(await duckdbProvider.connect!({ provider: "duckdb", threads: -1 }).catch((x: unknown) => x))).toBe("INVALID_TARGET");
    expect(code(await postgresProvider.connect!({ provider: "postgres", port: "x" }).catch((x: unknown) => x))).toBe("INVALID_TARGET");
  });

  it("opens a DuckDB file, creating its directory, and keeps data across connections", async () => {
    const dir = await readableTempDir();
    try {
      const path = join(dir, "nested", "db.duckdb");
      const a = await duckdbProvider.connect!({ provider: "duckdb", path, threads: 1, memoryLimit: "256MB" });
      await a.execute("CREATE TABLE kept AS SELECT 1 AS x");
      await a.close();
      const b = await duckdbProvider.connect!({ provider: "duckdb", path });
      expect(await b.query("SELECT x FROM kept")).toEqual([{ x: 1 }]);
      await b.close();
    } finally {
      await removeDir(dir);
    }
  });

  it("applies the engine settings of the target, and the defaults the benchmarks were measured with", async () => {
    const settings = async (target: Record<string, unknown>, names: string[]) => {
      const conn = await duckdbProvider.connect!({ provider: "duckdb", ...target });
      try {
        const select = names.map((n) => `current_setting('${n}') AS "${n}"`).join(", ");
        return Object.fromEntries(Object.entries((await conn.query<Record<string, unknown>>(`SELECT ${select}`))[0]!).map(([k, v]) => [k, String(v)]));
      } finally {
        await conn.close();
      }
    };
    const defaults = await settings({}, ["memory_limit", "preserve_insertion_order", "allocator_background_threads"]);
    expect(defaults).toMatchObject({ preserve_insertion_order: "false", allocator_background_threads: "true" });
    expect(defaults["memory_limit"]).toMatch(/^7\d\d\.\d MiB$/);
    const chosen = await settings({ memoryLimit: "256MB", threads: 1, preserveInsertionOrder: true }, ["memory_limit", "threads", "preserve_insertion_order"]);
    expect(chosen).toMatchObject({ threads: "1", preserve_insertion_order: "true" });
    expect(chosen["memory_limit"]).toMatch(/^2\d\d\.\d MiB$/);
  });
});
