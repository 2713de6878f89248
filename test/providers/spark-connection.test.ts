/**
 * The Spark connection (src/providers/spark) on a real Spark Thrift server with Delta Lake (scripts/services.sh up
 * spark): Delta tables created, written with INSERT and MERGE, values of every type read back exactly, sessions
 * pinned, errors made readable and classified. Skipped where no server answers, except with CI set (.ci/run starts
 * one, so there a missing server is a failure).
 */
import { randomBytes } from "node:crypto";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connection } from "../../src/providers/provider-api.js";
import { SqlExecutionError } from "../../src/providers/provider-errors.js";
import { classifySparkError, cleanSparkMessage, connectSpark, SparkSqlError } from "../../src/providers/spark/index.js";
import { fromNonErrorRejection } from "../../src/providers/spark/spark-errors.js";
import { isCi } from "../setup/postgres.js";

const host = process.env["OMOPETL_TEST_SPARK_HOST"] ?? "127.0.0.1";
const port = Number(process.env["OMOPETL_TEST_SPARK_PORT"] ?? 10000);

function answers(h: string, p: number, ms = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host: h, port: p });
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(ms, () => done(false));
    s.once("connect", () => done(true));
    s.once("error", () => done(false));
  });
}

const sparkUp = await answers(host, port);
const runReal = sparkUp || isCi();
const target = { provider: "spark", host, port, retries: 0 };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}

describe("Spark errors (no server needed)", () => {
  it("the server's message loses its Java wrapping and stack trace; the error class and SQLSTATE are kept", () => {
    const server =
      "org.apache.hive.service.cli.HiveSQLException: Error running query: [TABLE_OR_VIEW_NOT_FOUND] org.apache.spark.sql.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] The table or view `s`.`nope` cannot be found. SQLSTATE: 42P01; line 1 pos 14;\n'Project [*]\n\tat org.apache.spark.sql.hive.thriftserver.HiveThriftServerErrors$.runningQueryError(HiveThriftServerErrors.scala:46)\n\tat x.y(Z.scala:1)";
    expect(cleanSparkMessage(server)).toBe("[TABLE_OR_VIEW_NOT_FOUND] The table or view `s`.`nope` cannot be found. SQLSTATE: 42P01; line 1 pos 14;\n'Project [*]");
    const e = new SparkSqlError(server, "42P01");
    expect(e.errorClass).toBe("TABLE_OR_VIEW_NOT_FOUND");
    expect(e.code).toBe("42P01");
    expect(classifySparkError(e)).toBe("permanent");
  });

  it("Delta write conflicts, lost executors and dropped sockets are transient, also wrapped in SQL_EXECUTION_FAILED", () => {
    const conflict = new SparkSqlError(
      "org.apache.hive.service.cli.HiveSQLException: Error running query: [DELTA_CONCURRENT_APPEND] io.delta.exceptions.ConcurrentAppendException: [DELTA_CONCURRENT_APPEND] ConcurrentAppendException: Files were added to the root of the table by a concurrent update.",
      "2D521",
    );
    expect(conflict.errorClass).toBe("DELTA_CONCURRENT_APPEND");
    expect(classifySparkError(conflict)).toBe("transient");
    expect(classifySparkError(new SqlExecutionError("person", 1, "MERGE INTO ...", conflict))).toBe("transient");
    expect(classifySparkError(new SparkSqlError("org.apache.spark.SparkException: Job aborted due to stage failure: ExecutorLostFailure (executor 1 exited)", undefined))).toBe("transient");
    expect(classifySparkError(Object.assign(new Error("read ECONNRESET"), { code: "ECONNRESET" }))).toBe("transient");
    expect(classifySparkError(new SparkSqlError("[DIVIDE_BY_ZERO] Division by zero.", "22012"))).toBe("permanent");
    expect(classifySparkError(new Error("something else"))).toBeUndefined();
  });

  it("a driver rejection that is no Error reads as the server's text, never [object Object]; Errors pass unchanged", () => {
    const plain = fromNonErrorRejection({ errorMessage: "org.apache.thrift.transport.TTransportException: connection lost" });
    expect(plain).toBeInstanceOf(SparkSqlError);
    expect((plain as SparkSqlError).message).toBe("connection lost");
    expect(classifySparkError(plain)).toBe("transient");
    const status = fromNonErrorRejection({ status: { statusCode: 3 }, operationHandle: null }) as SparkSqlError;
    expect(status.message).toBe('the Spark driver failed with {"status":{"statusCode":3},"operationHandle":null}');
    expect(String(status)).not.toContain("[object Object]");
    const long = fromNonErrorRejection({ rows: "x".repeat(2000) }) as SparkSqlError;
    expect(long.message.length).toBeLessThan(600);
    expect((fromNonErrorRejection("socket hang up") as SparkSqlError).message).toBe("socket hang up");
    expect((fromNonErrorRejection(undefined) as SparkSqlError).message).toBe("the Spark driver failed with undefined");
    const err = new Error("kept");
    expect(fromNonErrorRejection(err)).toBe(err);
  });

  it("an unreachable server is CONNECTION_FAILED naming the address and how to start one; bad options are INVALID_TARGET", async () => {
    const p = await freePort();
    await expect(connectSpark({ provider: "spark", port: p, retries: 0 })).rejects.toMatchObject({
      diagnostic: { code: "CONNECTION_FAILED", message: expect.stringMatching(new RegExp(`127\\.0\\.0\\.1:${p}: .*ECONNREFUSED.*scripts/services\\.sh up spark`)) },
    });
    await expect(connectSpark({ provider: "spark", prot: 1 })).rejects.toMatchObject({ diagnostic: { code: "INVALID_TARGET" } });
  });
});

describe.skipIf(!runReal)(`Spark connection on a real Thrift server at ${host}:${port} (skipped: no Spark Thrift server answers there; start one with scripts/services.sh up spark)`, () => {
  // A schema of this run's own: other runs of the suite may share the server.
  const schema = `omopetl_conn_${randomBytes(4).toString("hex")}`;
  let conn: Connection;

  beforeAll(async () => {
    conn = await connectSpark(target);
    await conn.execute(`CREATE SCHEMA ${schema}`);
  }, 120_000);

  afterAll(async () => {
    await conn?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await conn?.close();
  }, 120_000);

  it("creates a Delta table, inserts, and reads every type back exactly (BIGINT past 2^53 and DECIMAL as strings)", async () => {
    await conn.execute(
      `CREATE TABLE ${schema}.t (id BIGINT, s STRING, d DATE, ts TIMESTAMP, n DECIMAL(12,2), x DOUBLE, i INT, b BOOLEAN) USING DELTA`,
    );
    const detail = await conn.query<{ format: string }>(`DESCRIBE DETAIL ${schema}.t`);
    expect(detail[0]?.format).toBe("delta");
    // Spark's string literals escape with a backslash ('' would be two adjacent literals, concatenated).
    await conn.execute(
      `INSERT INTO ${schema}.t VALUES
        (9007199254740993, 'it\\'s ü', DATE'2020-02-29', TIMESTAMP'2020-01-01 10:00:00.5', 1234567890.15, 2.5, -7, true),
        (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
        (3, '', DATE'1900-01-01', TIMESTAMP'1999-12-31 23:59:59.123456', -0.01, -1e300, 2147483647, false)`,
    );
    const rows = await conn.query(`SELECT * FROM ${schema}.t ORDER BY id`);
    expect(rows).toEqual([
      { id: "2", s: null, d: null, ts: null, n: null, x: null, i: null, b: null },
      { id: "3", s: "", d: "1900-01-01", ts: "1999-12-31 23:59:59.123456", n: "-0.01", x: -1e300, i: 2147483647, b: false },
      { id: "9007199254740993", s: "it's ü", d: "2020-02-29", ts: "2020-01-01 10:00:00.5", n: "1234567890.15", x: 2.5, i: -7, b: true },
    ]);
    const [agg] = await conn.query(`SELECT count(*) AS n, CAST(sum(i) AS INT) AS s, CAST(NULL AS STRING) AS z, max(ts) AS m FROM ${schema}.t`);
    expect(agg).toEqual({ n: "3", s: 2147483640, z: null, m: "2020-01-01 10:00:00.5" });
  }, 180_000);

  it("every session opens with Delta as the default table format and constraint propagation off (the optimizer's time on wide load checks)", async () => {
    const settings = await conn.query("SET");
    const value = (key: string) => settings.find((r) => r["key"] === key)?.["value"];
    expect(value("spark.sql.sources.default")).toBe("delta");
    expect(value("spark.sql.constraintPropagation.enabled")).toBe("false");
  });

  it("MERGE updates and inserts atomically and reports the rows it touched; a re-run of the same MERGE changes nothing", async () => {
    await conn.execute(`CREATE TABLE ${schema}.m (k STRING, v INT) USING DELTA`);
    await conn.execute(`INSERT INTO ${schema}.m VALUES ('a', 1), ('b', 2)`);
    const merge = `MERGE INTO ${schema}.m AS t
      USING (SELECT 'b' AS k, 20 AS v UNION ALL SELECT 'c', 3) AS s ON t.k = s.k
      WHEN MATCHED AND t.v IS DISTINCT FROM s.v THEN UPDATE SET v = s.v
      WHEN NOT MATCHED THEN INSERT (k, v) VALUES (s.k, s.v)`;
    expect(await conn.execute(merge)).toEqual({ rowCount: 2 });
    expect(await conn.query(`SELECT k, v FROM ${schema}.m ORDER BY k`)).toEqual([
      { k: "a", v: 1 },
      { k: "b", v: 20 },
      { k: "c", v: 3 },
    ]);
    expect(await conn.execute(merge)).toEqual({ rowCount: 0 });
    expect(await conn.query(`SELECT count(*) AS n FROM ${schema}.m`)).toEqual([{ n: "3" }]);
  }, 180_000);

  it("a session keeps its temporary views across statements; another session does not see them", async () => {
    await conn.session(async (s) => {
      await s.execute(`CREATE TEMPORARY VIEW omopetl_conn_v AS SELECT 42 AS answer`);
      expect(await s.query(`SELECT answer FROM omopetl_conn_v`)).toEqual([{ answer: 42 }]);
      const other = await conn.session((o) => o.query<{ n: string }>(`SHOW VIEWS LIKE 'omopetl_conn_v'`));
      expect(other).toEqual([]);
      await s.execute(`DROP VIEW omopetl_conn_v`);
    });
  }, 120_000);

  it("views a failed step cached and did not drop are dropped when its session returns to the pool (their cached data freed)", async () => {
    // One session, so the next borrower is the same session and would see a view left behind.
    const one = await connectSpark({ provider: "spark", host, port, retries: 0, poolSize: 1 });
    try {
      const failed = one.session(async (s) => {
        await s.execute("DROP VIEW IF EXISTS omopetl_conn_cached");
        await s.execute("CACHE TABLE omopetl_conn_cached AS SELECT 7 AS x");
        await s.execute("CACHE TABLE `omopetl_conn_cached_2` AS SELECT 8 AS x");
        expect(await s.query("SELECT x FROM omopetl_conn_cached")).toEqual([{ x: 7 }]);
        await s.query("SELECT raise_error('the step fails before its DROP VIEW')");
      });
      await expect(failed).rejects.toThrow(/the step fails/);
      const left = await one.session((s) => s.query<{ viewName: string }>("SHOW VIEWS LIKE 'omopetl_conn_cached*'"));
      expect(left).toEqual([]);
    } finally {
      await one.close();
    }
  }, 120_000);

  it("a failing statement is a readable SparkSqlError (no stack trace), classified permanent; the connection stays usable", async () => {
    const err = await conn.query(`SELECT * FROM ${schema}.nope`).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SparkSqlError);
    const e = err as SparkSqlError;
    expect(e.errorClass).toBe("TABLE_OR_VIEW_NOT_FOUND");
    expect(e.code).toBe("42P01");
    expect(e.message).toMatch(/^\[TABLE_OR_VIEW_NOT_FOUND\] The table or view `omopetl_conn_[0-9a-f]+`\.`nope` cannot be found/);
    expect(e.message).not.toMatch(/\n\s+at /);
    expect(classifySparkError(e)).toBe("permanent");
    expect(await conn.query(`SELECT 1 AS one`)).toEqual([{ one: 1 }]);
  }, 120_000);

  it("transaction() is refused with UNSUPPORTED_FEATURE: Spark commits statement by statement", async () => {
    let ran = false;
    await expect(
      conn.transaction(async () => {
        ran = true;
      }),
    ).rejects.toMatchObject({ diagnostic: { code: "UNSUPPORTED_FEATURE", message: expect.stringContaining("multi-statement transactions") } });
    expect(ran).toBe(false);
  });
});
