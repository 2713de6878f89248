/**
 * The provider conformance suite (omopetl/provider/conformance) against the built-in providers: DuckDB in memory
 * and the test PostgreSQL server (each test in its own uniquely named schemas, dropped afterwards).
 */
import { describe, expect, it } from "vitest";
import { defineConformanceSuite } from "../../src/providers/conformance/index.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import { cdm54TableDefs } from "./helpers/cdm-tables.js";
import { PG_URL } from "./helpers/engines.js";

const tables = cdm54TableDefs();

defineConformanceSuite({
  provider: duckdbProvider,
  connect: () => duckdbProvider.connect!({ provider: "duckdb", path: ":memory:" }),
  tables,
  describe,
  it,
  expect,
});

defineConformanceSuite({
  provider: postgresProvider,
  connect: () => postgresProvider.connect!({ provider: "postgres", url: PG_URL, retries: 0 }),
  tables,
  describe,
  it,
  expect,
});
