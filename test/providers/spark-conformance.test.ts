/**
 * The provider conformance suite (omopetl/provider/conformance) against the Spark provider on the real Spark Thrift
 * server with Delta (scripts/services.sh up spark): its loads, ddl and capabilities groups. Skipped where no server
 * answers, except with CI set (.ci/run starts one).
 *
 * Groups not registered here yet (issue 17, next steps), because of their time on Spark, not their result: run by
 * hand on 2026-12-04 (load average 12-17 on the shared 2-core machine), transforms and steps passed 7 of 8 (merge,
 * float merge, failing merge, replace slice, rebuild, failing statement, sql steps; "every DML kind" timed out at
 * 300 s, 236 s for the merge test alone); safety's hostile-identifier test (plainIdentifiers) passed; the semantics
 * catalogue (whole group: 342 s on 2026-12-04 at load ~1) passed but for the functions of messy sources, refused then;
 * its date constructs and (since spark-regex.ts) its functions of messy sources run in CI in spark-semantics.test.ts
 * (date_diff by month overflowed Spark's INT EXTRACT until it became BIGINT; try_cast read '1e400' as Infinity until
 * floatInRange checked the double is finite). The loads, ddl and capabilities groups registered here took 110 s.
 */
import { describe, expect, it } from "vitest";
import { defineConformanceSuite } from "../../src/providers/conformance/index.js";
import type { ConformanceDescribe } from "../../src/providers/conformance/test-api.js";
import { sparkProvider } from "../../src/providers/spark/index.js";
import { cdm54TableDefs } from "./helpers/cdm-tables.js";
import { SPARK_HOST, SPARK_PORT, sparkRunsHere } from "./helpers/spark-server.js";

const tables = cdm54TableDefs();
/** The suite's groups not registered on Spark yet (see the file comment). */
const NOT_YET = [/^transforms$/, /^steps$/, /^semantics /, /^safety$/];
const someGroups: ConformanceDescribe = (name, fn) => {
  if (!NOT_YET.some((r) => r.test(name))) describe(name, fn);
};

const title = sparkRunsHere ? "Spark conformance" : `Spark conformance (skipped: no Spark Thrift server answers at ${SPARK_HOST}:${SPARK_PORT}; scripts/services.sh up spark starts one)`;

describe.skipIf(!sparkRunsHere)(title, () => {
  defineConformanceSuite({
    provider: sparkProvider,
    connect: () => sparkProvider.connect!({ provider: "spark", host: SPARK_HOST, port: SPARK_PORT, retries: 0 }),
    tables,
    describe: someGroups,
    it,
    expect,
    // Open-source Spark declares no primary or foreign keys (omopetl checks them in its statements instead).
    enforcesKeys: false,
    // The Hive metastore takes letters, digits and _ in schema and table names, Delta no spaces or ,;{}()= in columns.
    plainIdentifiers: true,
    timeout: 300_000,
  });
});
