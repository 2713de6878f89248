/**
 * The semantics catalogue's date constructs (docs/semantics.md: date_add, date_diff, date_part, date_trunc, make_date,
 * ...) and its functions of messy sources (try_cast, regexp_matches/replace/extract, translate, parse_date /
 * parse_datetime) computed on the real Spark Thrift server with Delta, each case's value against the catalogue. Only
 * these: the whole semantics group takes ~340 s on Spark (measured 2026-12-04), too long for CI;
 * spark-conformance.test.ts says which groups run and what the rest gave by hand. date_diff by month between
 * timestamps overflowed Spark's INT EXTRACT (ARITHMETIC_OVERFLOW) until its fields became BIGINT (spark-expressions.ts
 * extractInt); the messy-source functions were refused (UNSUPPORTED_FEATURE) until the regex flavour was spelled for
 * Java (spark-regex.ts).
 */
import { describe, expect, it } from "vitest";
import { defineConformanceSuite } from "../../src/providers/conformance/index.js";
import type { ConformanceDescribe, ConformanceIt } from "../../src/providers/conformance/test-api.js";
import { sparkProvider } from "../../src/providers/spark/index.js";
import { cdm54TableDefs } from "./helpers/cdm-tables.js";
import { SPARK_HOST, SPARK_PORT, sparkRunsHere } from "./helpers/spark-server.js";

const semanticsOnly: ConformanceDescribe = (name, fn) => {
  if (/^(provider conformance|semantics )/.test(name)) describe(name, fn);
};
const CONSTRUCT = /^(date_|make_date|to_date|try_cast|regexp_|translate|parse_date)/;
const theseCasesOnly: ConformanceIt = (name, test, timeout) => {
  if (CONSTRUCT.test(name)) it(name, test, timeout);
};

const title = sparkRunsHere
  ? "Spark: the semantics catalogue's date constructs and functions of messy sources"
  : `Spark: the semantics catalogue's date constructs and functions of messy sources (skipped: no Spark Thrift server answers at ${SPARK_HOST}:${SPARK_PORT}; scripts/services.sh up spark starts one)`;

describe.skipIf(!sparkRunsHere)(title, () => {
  defineConformanceSuite({
    provider: sparkProvider,
    connect: () => sparkProvider.connect!({ provider: "spark", host: SPARK_HOST, port: SPARK_PORT, retries: 0 }),
    tables: cdm54TableDefs(),
    describe: semanticsOnly,
    it: theseCasesOnly,
    expect,
    enforcesKeys: false,
    plainIdentifiers: true,
    timeout: 300_000,
  });
});
