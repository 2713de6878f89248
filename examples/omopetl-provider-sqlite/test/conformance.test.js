/**
 * omopetl's provider conformance suite, including the result-level semantics catalogue (docs/semantics.md), on a
 * real SQLite database: each test opens its own in-memory database.
 */
import { describe, expect, it } from "vitest";
import { SpecificationManager } from "omopetl";
import { cdmTableDefs, defineConformanceSuite } from "omopetl/provider/conformance";
import provider from "../src/index.js";
import { specDir } from "./paths.js";

const tables = cdmTableDefs(await new SpecificationManager({ dir: specDir }).load("5.4"));

defineConformanceSuite({
  provider,
  connect: () => provider.connect({ provider: "sqlite", path: ":memory:" }),
  tables,
  describe,
  it,
  expect,
  timeout: 60_000,
});
