/**
 * Contract tests of the spark provider's Databricks connection method (src/providers/spark/databricks-connection.ts):
 * the real @databricks/sql client, over a real TLS socket, against a local HTTPS server answering the TCLIService
 * protocol (test/providers/helpers/databricks-server.ts) that records what the client sends. A Databricks SQL
 * warehouse cannot run here (the client needs HTTPS and Databricks' protocol versions, which local Spark does not
 * speak): what is proven is what omopetl sends (path, bearer token, User-Agent, the session's catalog and schema,
 * the statements byte for byte) and what it makes of the answers (rows decoded exactly, errors classified, the token
 * never printed). Needs no database; the value-equality test with the Spark Thrift connection needs local Spark.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TableDef } from "../../src/core/model/plan.js";
import type { Connection, RenderContext, TargetConfig } from "../../src/providers/provider-api.js";
import { classifySparkError, connectSpark, SparkSqlError, SparkTargetSchema } from "../../src/providers/spark/index.js";
import { DATABRICKS_USER_AGENT_ENTRY } from "../../src/providers/spark/databricks-connection.js";
import { convertDatabricksValue } from "../../src/providers/spark/databricks-values.js";
import { SparkGenerator } from "../../src/providers/spark/spark-generator.js";
import { T_TYPE_ID } from "../../src/providers/spark/spark-values.js";
import { checkTargetOptions } from "../../src/providers/target-options.js";
import { cdm54TableDefs } from "./helpers/cdm-tables.js";
import { startDatabricksServer, type DatabricksServer } from "./helpers/databricks-server.js";
import { EXACT_VALUES_COLUMNS, EXACT_VALUES_ROWS, EXACT_VALUES_SQL } from "./helpers/exact-values.js";
import { SPARK_HOST, SPARK_PORT, sparkRunsHere } from "./helpers/spark-server.js";

const TOKEN = "dapi0123456789abcdef0123456789abcdef-2";
const HTTP_PATH = "/sql/1.0/warehouses/0123456789abcdef";
let server: DatabricksServer;

beforeAll(async () => {
  server = await startDatabricksServer({ token: TOKEN, httpPath: HTTP_PATH });
});
afterAll(async () => {
  await server?.close();
});

/** A databricks target for the local server ("localhost": the certificate's name, verified). */
function target(extra: Record<string, unknown> = {}): TargetConfig {
  return { provider: "spark", method: "databricks", host: "localhost", port: server.port, httpPath: HTTP_PATH, token: TOKEN, caCertFile: server.caCertFile, retries: 0, retryDelayMs: 1, ...extra };
}

/** Runs `fn` on a fresh connection, closed afterwards; returns the requests it sent. */
async function withConnection(extra: Record<string, unknown>, fn: (c: Connection) => Promise<void>): Promise<DatabricksServer["requests"]> {
  const from = server.requests.length;
  const c = await connectSpark(target(extra));
  try {
    await fn(c);
  } finally {
    await c.close();
  }
  return server.requests.slice(from);
}

/** Every string an error shows or carries: message, diagnostic, stack, its causes'. */
function everythingPrinted(e: unknown): string {
  const out: string[] = [];
  let cur: unknown = e;
  for (let depth = 0; depth < 6 && cur; depth++) {
    const o = cur as { message?: unknown; stack?: unknown; diagnostic?: unknown };
    out.push(String(o.message), String(o.stack), JSON.stringify(o.diagnostic ?? null), String(cur));
    cur = (cur as { cause?: unknown }).cause;
  }
  return out.join("\n");
}

describe("Databricks connection: what the client sends", () => {
  it("every request goes to the HTTP path with the bearer token and omopetl in the User-Agent; the session opens in the target's catalog and schema", async () => {
    const sent = await withConnection({ catalog: "main", schema: "omop_work" }, async (c) => {
      await c.execute("SELECT 1");
    });
    expect(sent.map((r) => r.call)).toEqual(["OpenSession", "ExecuteStatement", "GetOperationStatus", "CloseOperation", "CloseSession"]);
    for (const r of sent) {
      expect(r.path).toBe(HTTP_PATH);
      expect(r.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.userAgent).toContain(`(${DATABRICKS_USER_AGENT_ENTRY};`);
      expect(r.status).toBe(200);
    }
    expect(sent[0]!.initialNamespace).toEqual({ catalogName: "main", schemaName: "omop_work" });
  });

  it("without catalog and schema the session opens in the warehouse's defaults (no namespace sent)", async () => {
    const sent = await withConnection({}, async (c) => {
      await c.execute("SELECT 1");
    });
    expect(sent[0]).toMatchObject({ call: "OpenSession", initialNamespace: undefined });
  });

  it("the statements the Spark generator renders reach the server byte for byte, in order, one ExecuteStatement each", async () => {
    const gen = new SparkGenerator();
    const all: TableDef[] = cdm54TableDefs();
    const ctx: RenderContext = { tables: all, schemas: { cdm: "cdm", vocab: "vocab" }, idMap: { schema: "cdm", name: "omopetl_id_map" } };
    const ddl = gen.renderDdl(["person", "observation_period"].map((n) => all.find((t) => t.name === n)!), "tables", ctx);
    const hostile = `SELECT ${gen.stringLiteral("it's \\ `tick` ü €\nnew line")} AS s`;
    const statements = [...ddl, hostile];
    expect(statements.length).toBeGreaterThan(2);
    const sent = await withConnection({}, async (c) => {
      for (const sql of statements) await c.execute(sql);
    });
    expect(sent.filter((r) => r.call === "ExecuteStatement").map((r) => r.statement)).toEqual(statements);
  });

  it("session(fn) keeps its statements on one session; plain calls share the pool; transactions are refused", async () => {
    const sent = await withConnection({ poolSize: 2 }, async (c) => {
      await c.session(async (s) => {
        await s.execute("CREATE TEMPORARY VIEW v AS SELECT 1");
        await s.execute("SELECT * FROM v");
      });
      await expect(c.transaction(async () => undefined)).rejects.toMatchObject({ diagnostic: { code: "UNSUPPORTED_FEATURE" } });
    });
    const executes = sent.filter((r) => r.call === "ExecuteStatement");
    expect(executes).toHaveLength(2);
    expect(executes[0]!.session).toBe(executes[1]!.session);
    expect(sent.filter((r) => r.call === "OpenSession")).toHaveLength(1);
  });
});

describe("Databricks connection: what it makes of the answers", () => {
  it("rows come back exactly: BIGINT past 2^53 and DECIMAL as strings (scale kept), dates, microseconds, NULLs", async () => {
    server.answer(EXACT_VALUES_SQL, { columns: EXACT_VALUES_COLUMNS });
    let rows: unknown[] = [];
    await withConnection({}, async (c) => {
      rows = await c.query(EXACT_VALUES_SQL);
    });
    expect(rows).toEqual(EXACT_VALUES_ROWS);
    // What makes them exact: Arrow results, timestamps and decimals asked for as text (a JS Date holds milliseconds,
    // the client's float decimals round).
    const sent = server.requests.filter((r) => r.statement === EXACT_VALUES_SQL);
    expect(sent.map((r) => r.resultFormat)).toEqual([{ canReadArrowResult: true, timestampAsArrow: false, decimalAsArrow: false, complexTypesAsArrow: false }]);
  });

  it("a MERGE's num_affected_rows is the statement's rowCount", async () => {
    server.answer("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET *", {
      columns: [
        { name: "num_affected_rows", type: "BIGINT", values: ["3"] },
        { name: "num_updated_rows", type: "BIGINT", values: ["3"] },
      ],
    });
    await withConnection({}, async (c) => {
      expect(await c.execute("MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN UPDATE SET *")).toEqual({ rowCount: 3 });
      expect(await c.execute("INSERT INTO t VALUES (1)")).toEqual({});
    });
  });

  it("a statement's error reads as Spark's (no Java wrapping), keeps its SQLSTATE and is permanent; TEMPORARILY_UNAVAILABLE is transient", async () => {
    server.answer("SELECT * FROM nope", {
      error: "org.apache.hive.service.cli.HiveSQLException: Error running query: [TABLE_OR_VIEW_NOT_FOUND] org.apache.spark.sql.AnalysisException: [TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found. SQLSTATE: 42P01\n\tat x.y(Z.scala:1)",
      sqlState: "42P01",
    });
    server.answer("SELECT * FROM busy", { error: "[TEMPORARILY_UNAVAILABLE] The service is temporarily unavailable.", sqlState: "XX000" });
    await withConnection({}, async (c) => {
      const e = await c.query("SELECT * FROM nope").catch((x: unknown) => x);
      expect(e).toBeInstanceOf(SparkSqlError);
      expect((e as SparkSqlError).message).toBe("[TABLE_OR_VIEW_NOT_FOUND] The table or view `nope` cannot be found. SQLSTATE: 42P01");
      expect((e as SparkSqlError).code).toBe("42P01");
      expect(classifySparkError(e)).toBe("permanent");
      const busy = await c.query("SELECT * FROM busy").catch((x: unknown) => x);
      expect(classifySparkError(busy)).toBe("transient");
      // The session is still usable after both.
      await c.execute("SELECT 1");
    });
  });

  it("a 503 while the session opens (the warehouse starting) is retried as transient, within the target's retries", async () => {
    server.failNext("OpenSession", 503, 2);
    const sent = await withConnection({ retries: 2 }, async (c) => {
      await c.execute("SELECT 1");
    });
    expect(sent.filter((r) => r.call === "OpenSession").map((r) => r.status)).toEqual([503, 503, 200]);
    expect(sent.filter((r) => r.call === "ExecuteStatement")).toHaveLength(1);
  });

  it("a 503 left after the retries is CONNECTION_FAILED; a 503 on a statement is not re-sent by the connection but classified transient (the step is re-run)", async () => {
    server.failNext("OpenSession", 503, 2);
    const from = server.requests.length;
    const e = await connectSpark(target({ retries: 1 })).catch((x: unknown) => x);
    expect(e).toMatchObject({ diagnostic: { code: "CONNECTION_FAILED", message: expect.stringContaining("HTTP 503") } });
    expect(classifySparkError((e as Error).cause)).toBe("transient");
    expect(server.requests.slice(from).map((r) => `${r.call} ${r.status}`)).toEqual(["OpenSession 503", "OpenSession 503"]);

    await withConnection({ retries: 3 }, async (c) => {
      server.failNext("ExecuteStatement", 503);
      const before = server.requests.length;
      const failed = await c.execute("INSERT INTO t VALUES (1)").catch((x: unknown) => x);
      expect(classifySparkError(failed)).toBe("transient");
      expect(server.requests.slice(before).filter((r) => r.call === "ExecuteStatement").map((r) => r.status)).toEqual([503]);
      await c.execute("INSERT INTO t VALUES (1)");
    });
  });

  it("a refused token (401) is CONNECTION_FAILED naming the host and path, not retried, and the token is printed nowhere", async () => {
    const wrong = "dapiWRONGwrongWRONG0123456789";
    const from = server.requests.length;
    const e = await connectSpark(target({ token: wrong, retries: 3 })).catch((x: unknown) => x);
    expect(e).toMatchObject({ diagnostic: { code: "CONNECTION_FAILED" } });
    const message = (e as { diagnostic: { message: string } }).diagnostic.message;
    expect(message).toContain(`https://localhost:${server.port}${HTTP_PATH}`);
    expect(message).toContain("HTTP 401");
    expect(everythingPrinted(e)).not.toContain(wrong);
    expect(everythingPrinted(e)).not.toContain(TOKEN);
    // Sent as it must be, once: a refused token is permanent.
    expect(server.requests.slice(from).map((r) => `${r.call} ${r.status} ${r.authorization}`)).toEqual([`OpenSession 401 Bearer ${wrong}`]);
    expect(classifySparkError((e as Error).cause)).toBe("permanent");
  });

  it("a wrong HTTP path (404) and an untrusted certificate are CONNECTION_FAILED saying so", async () => {
    await expect(connectSpark(target({ httpPath: "/sql/1.0/warehouses/nope" }))).rejects.toMatchObject({
      diagnostic: { code: "CONNECTION_FAILED", message: expect.stringContaining("HTTP 404: no SQL warehouse at this HTTP path") },
    });
    const { caCertFile: _trusted, ...untrusted } = target();
    const e = await connectSpark(untrusted).catch((x: unknown) => x);
    expect(e).toMatchObject({ diagnostic: { code: "CONNECTION_FAILED", message: expect.stringMatching(/self[- ]signed certificate/) } });
    expect(everythingPrinted(e)).not.toContain(TOKEN);
  });
});

describe("Databricks values and errors (no server needed)", () => {
  it("a value the client already rounded is refused, never returned: DECIMAL as a float, BIGINT past 2^53 as a number, TIMESTAMP as a JS Date", () => {
    expect(convertDatabricksValue("id", T_TYPE_ID.BIGINT, 9007199254740993n)).toBe("9007199254740993");
    expect(convertDatabricksValue("id", T_TYPE_ID.BIGINT, 42)).toBe("42");
    expect(() => convertDatabricksValue("id", T_TYPE_ID.BIGINT, 2 ** 53 + 2)).toThrow(/column "id": a BIGINT arrived as number 9007199254740994.*refuses/);
    expect(() => convertDatabricksValue("amount", T_TYPE_ID.DECIMAL, 1.5)).toThrow(/column "amount": a DECIMAL arrived as number 1.5/);
    expect(() => convertDatabricksValue("ts", T_TYPE_ID.TIMESTAMP, new Date(0))).toThrow(/column "ts": a TIMESTAMP arrived as a JS Date/);
    expect(convertDatabricksValue("d", T_TYPE_ID.DATE, Date.UTC(2020, 1, 29))).toBe("2020-02-29");
    expect(convertDatabricksValue("d", T_TYPE_ID.DATE, new Date(Date.UTC(2020, 1, 29)))).toBe("2020-02-29");
  });

  it("HTTP statuses: 429/502/503/504 are transient, 400/401/403/404 permanent, whatever the message", () => {
    const http = (status: number) => Object.assign(new Error(`Received a response with a bad HTTP status code: ${status}`), { statusCode: status });
    expect([429, 502, 503, 504].map((s) => classifySparkError(http(s)))).toEqual(["transient", "transient", "transient", "transient"]);
    expect([400, 401, 403, 404].map((s) => classifySparkError(http(s)))).toEqual(["permanent", "permanent", "permanent", "permanent"]);
    expect(classifySparkError(new SparkSqlError("The SQL warehouse is starting. Please retry.", undefined))).toBe("transient");
    expect(classifySparkError(new Error("the warehouse is starting"))).toBe("transient");
  });
});

describe("spark target options: method databricks", () => {
  const check = (o: Record<string, unknown>): string[] => checkTargetOptions(SparkTargetSchema, o).map((i) => `${i.path.join(".")}: ${i.message}`);

  it("a complete databricks target and a default thrift target are valid", () => {
    expect(check({ provider: "spark", method: "databricks", host: "adb-1.2.azuredatabricks.net", httpPath: "/sql/1.0/warehouses/abc", token: "${env:DATABRICKS_TOKEN}", catalog: "main", schema: "cdm" })).toEqual([]);
    expect(check({ provider: "spark" })).toEqual([]);
    expect(check({ provider: "spark", catalog: "spark_catalog", host: "spark.internal", port: 10001, auth: "nosasl" })).toEqual([]);
  });

  it("each problem is reported at its key, all of them at once", () => {
    expect(check({ provider: "spark", method: "databricks", host: "https://adb-1.azuredatabricks.net/sql", auth: "plain", user: "me" })).toEqual([
      'auth: invalid value "plain" for "auth": "auth" is an option of method thrift only, and this target\'s method is databricks.',
      'user: invalid value "me" for "user": "user" is an option of method thrift only, and this target\'s method is databricks.',
      'host: invalid value "https://adb-1.azuredatabricks.net/sql" for "host": a host name only, without https:// or a path (the path is httpPath).',
      'httpPath: missing "httpPath": method databricks needs the SQL warehouse\'s HTTP path (its Connection details), e.g. /sql/1.0/warehouses/1234567890abcdef.',
      'token: missing "token": method databricks needs a personal access token, written as a secret reference such as ${env:DATABRICKS_TOKEN}.',
    ]);
    expect(check({ provider: "spark", method: "databricks", httpPath: "sql/1.0", token: "t", host: "h" })).toEqual([
      'httpPath: invalid value "sql/1.0" for "httpPath": an HTTP path starts with "/" (e.g. /sql/1.0/warehouses/1234567890abcdef).',
    ]);
    expect(check({ provider: "spark", token: "t", catalog: "main" })).toEqual([
      'token: invalid value "t" for "token": "token" is an option of method databricks only, and this target\'s method is thrift.',
      'catalog: invalid value "main" for "catalog": a Spark Thrift server target reads catalog "spark_catalog" only (other catalogs of a Thrift server are not supported yet); Unity Catalog names need method databricks.',
    ]);
    expect(check({ provider: "spark", method: "odbc" })[0]).toMatch(/^method: invalid value "odbc"/);
    expect(check({ provider: "spark", method: "databricks", host: "h", httpPath: "/p", token: "t", catalog: "main.cdm" })[0]).toMatch(/^catalog: invalid value "main.cdm"/);
  });

  it("connectSpark refuses an invalid databricks target with INVALID_TARGET before loading any client", async () => {
    await expect(connectSpark({ provider: "spark", method: "databricks", host: "h" })).rejects.toMatchObject({
      diagnostic: { code: "INVALID_TARGET", message: expect.stringContaining("httpPath") },
    });
  });
});

const sparkTarget: TargetConfig = { provider: "spark", host: SPARK_HOST, port: SPARK_PORT, retries: 0, connectTimeoutSeconds: 5 };

describe.skipIf(!sparkRunsHere)(`Databricks and Spark Thrift connections agree (skipped: no Spark Thrift server at ${SPARK_HOST}:${SPARK_PORT}; scripts/services.sh up spark)`, () => {
  it("the same values read through a real Spark Thrift server come back identical to the Databricks method's", async () => {
    const spark = await connectSpark(sparkTarget);
    try {
      const rows = await spark.query(EXACT_VALUES_SQL);
      expect(rows).toEqual(EXACT_VALUES_ROWS);
    } finally {
      await spark.close();
    }
  });
});
