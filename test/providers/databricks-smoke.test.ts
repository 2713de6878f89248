/**
 * MANUAL smoke test of the spark provider's Databricks method against a real Databricks SQL warehouse. It is not part
 * of CI (no workspace can be reached from here): it runs only when DATABRICKS_HOST, DATABRICKS_HTTP_PATH and
 * DATABRICKS_TOKEN are set, and is skipped, saying so, otherwise, with or without CI. See README "Databricks / Spark".
 *
 *   DATABRICKS_HOST=adb-1234567890123456.7.azuredatabricks.net \
 *   DATABRICKS_HTTP_PATH=/sql/1.0/warehouses/1234567890abcdef \
 *   DATABRICKS_TOKEN=dapi... [DATABRICKS_CATALOG=main] \
 *   npx vitest run test/providers/databricks-smoke.test.ts
 *
 * It creates a schema `omopetl_smoke_<random>` in the catalog (the warehouse's default without DATABRICKS_CATALOG),
 * writes a Delta table there with INSERT and MERGE, reads it back, and drops the schema.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Connection, TargetConfig } from "../../src/providers/provider-api.js";
import { connectSpark } from "../../src/providers/spark/index.js";
import { EXACT_VALUES_ROWS, EXACT_VALUES_SQL } from "./helpers/exact-values.js";

const env = process.env;
const configured = Boolean(env["DATABRICKS_HOST"] && env["DATABRICKS_HTTP_PATH"] && env["DATABRICKS_TOKEN"]);
const schema = `omopetl_smoke_${randomBytes(4).toString("hex")}`;

describe.skipIf(!configured)(
  "manual smoke test on a real Databricks SQL warehouse (skipped: set DATABRICKS_HOST, DATABRICKS_HTTP_PATH and DATABRICKS_TOKEN to run it; not part of CI)",
  () => {
    let conn: Connection;
    beforeAll(async () => {
      const target: TargetConfig = {
        provider: "spark",
        method: "databricks",
        host: env["DATABRICKS_HOST"]!,
        httpPath: env["DATABRICKS_HTTP_PATH"]!,
        token: env["DATABRICKS_TOKEN"]!,
        ...(env["DATABRICKS_CATALOG"] ? { catalog: env["DATABRICKS_CATALOG"] } : {}),
        // A stopped warehouse takes minutes to start: opening is retried on its 503s.
        retries: 8,
        retryDelayMs: 5000,
        connectTimeoutSeconds: 600,
      };
      conn = await connectSpark(target);
      await conn.execute(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    }, 900_000);
    afterAll(async () => {
      await conn?.execute(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
      await conn?.close();
    });

    it("reads values back exactly as the Spark Thrift method does", async () => {
      expect(await conn.query(EXACT_VALUES_SQL)).toEqual(EXACT_VALUES_ROWS);
    });

    it("writes a Delta table with INSERT and MERGE (rowCount from num_affected_rows) and reads it back", async () => {
      await conn.execute(`CREATE TABLE ${schema}.t (id BIGINT NOT NULL, v STRING) USING DELTA`);
      await conn.execute(`INSERT INTO ${schema}.t VALUES (1, 'a'), (9007199254740993, 'b')`);
      const merged = await conn.execute(
        `MERGE INTO ${schema}.t AS t USING (SELECT * FROM VALUES (1, 'A'), (3, 'c') AS s(id, v)) AS s ON t.id = s.id ` +
          "WHEN MATCHED THEN UPDATE SET v = s.v WHEN NOT MATCHED THEN INSERT (id, v) VALUES (s.id, s.v)",
      );
      expect(merged).toEqual({ rowCount: 2 });
      expect(await conn.query(`SELECT id, v FROM ${schema}.t ORDER BY id`)).toEqual([
        { id: "1", v: "A" },
        { id: "3", v: "c" },
        { id: "9007199254740993", v: "b" },
      ]);
    });

    it("a temporary view lives in its session", async () => {
      await conn.session(async (s) => {
        await s.execute("CREATE OR REPLACE TEMPORARY VIEW omopetl_smoke_v AS SELECT 42 AS x");
        expect(await s.query("SELECT x FROM omopetl_smoke_v")).toEqual([{ x: 42 }]);
      });
    });
  },
);
