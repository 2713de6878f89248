/**
 * The provider conformance suite (omopetl/provider/conformance) against the Spark provider on the real Spark Thrift
 * server with Delta (scripts/services.sh up spark): its loads, ddl and capabilities groups. Skipped where no server
 * answers, except with CI set (.ci/run starts one).
 *
 * Groups not registered here yet (issue 17, next steps): transforms and steps (the Spark modes are written, not yet
 * run green here end to end), the semantics catalogue (one engine round trip per construct: ~4 minutes on Spark, to
 * be batched), and "safety", whose hostile-identifier test needs schema and table names the Hive metastore refuses
 * (only letters, digits and _), which the suite cannot yet be told about.
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
