import { describe, expect, it } from "vitest";
import type { CheckMeasure } from "../../src/core/checks/check-model.js";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import type { RenderContext } from "../../src/providers/provider-api.js";
import { compileChecks } from "../../src/core/checks/compile-checks.js";
import { loadDqdDefinitions } from "../../src/core/checks/dqd-definitions.js";
import { selectDqdChecks } from "../../src/core/checks/dqd-select.js";
import { SpecificationManager } from "../../src/core/spec/specification-manager.js";
import { checkHooksOf, measureChecks } from "../../src/orchestrators/checks/measure-checks.js";
import { dqdDir, specDir } from "../helpers/paths.js";

const ctx: RenderContext = { tables: [], schemas: { cdm: "cdm", vocab: "vocab" }, idMap: { schema: "staging", name: "omopetl_id_map" } };

describe("check queries through the providers' generators", () => {
  it.each([duckdbProvider, postgresProvider])("$name: an existence check is not a counting query (UNSUPPORTED_FEATURE), never other SQL", (p) => {
    const measure: CheckMeasure = { kind: "tableExists", table: { schema: "cdm", name: "person" } };
    let error: unknown;
    try {
      p.generator.renderCheck!(measure, ctx);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(OmopetlError);
    expect((error as OmopetlError).diagnostic.code).toBe("UNSUPPORTED_FEATURE");
  });

  it("renders the same query twice, each count a scalar subquery over the physical schemas", () => {
    const measure: CheckMeasure = {
      kind: "ratio",
      numerator: {
        from: { schema: "cdm", name: "person" },
        alias: "t",
        joins: [],
        duplicatesOf: "person_id",
        count: { kind: "rows" },
      },
      denominator: { from: { schema: "cdm", name: "person" }, alias: "t", joins: [], count: { kind: "distinct", value: { k: "col", table: "t", column: "person_source_value", type: "string" }, nullIsValue: true } },
    };
    const sql = duckdbProvider.generator.renderCheck!(measure, { ...ctx, schemas: { cdm: "my_cdm" } });
    expect(sql).toBe(duckdbProvider.generator.renderCheck!(measure, { ...ctx, schemas: { cdm: "my_cdm" } }));
    expect(sql).toContain("FROM my_cdm.person AS t");
    expect(sql).toContain("t.person_id IN (SELECT person_id FROM my_cdm.person GROUP BY person_id HAVING count(*) > 1)");
    expect(sql).toContain("count(DISTINCT t.person_source_value) + CASE WHEN count(*) > count(t.person_source_value) THEN 1 ELSE 0 END");
  });
});

describe("probing the fields of a table in one query", () => {
  it("finds the missing field of a table as probing field by field does (DuckDB)", async () => {
    const spec = await new SpecificationManager({ dir: specDir, offline: true }).load("5.4");
    const checks = compileChecks(selectDqdChecks(loadDqdDefinitions(dqdDir, "5.4"), { checkNames: ["cdmTable", "cdmField"] }), spec).filter((c) => c.cdmTableName === "DEATH");
    const conn = await duckdbProvider.connect!({ provider: "duckdb", path: ":memory:" });
    try {
      // DEATH without cause_source_value.
      await conn.execute("CREATE SCHEMA cdm; CREATE TABLE cdm.death (person_id INTEGER, death_date DATE, death_datetime TIMESTAMP, death_type_concept_id INTEGER, cause_concept_id INTEGER, cause_source_concept_id INTEGER)");
      const hooks = checkHooksOf(duckdbProvider.generator)!;
      const failedFields = async (options: Parameters<typeof measureChecks>[4]) =>
        [...(await measureChecks(checks, hooks.generator, conn, ctx, options))].filter(([id, m]) => id.startsWith("field_cdmfield") && m.numViolatedRows === 1).map(([id]) => id);
      let probes = 0;
      const together = await failedFields({ ...hooks.options, onMeasured: (_c, m) => void (m.queryText?.includes(", ") && probes++) });
      expect(together).toEqual(["field_cdmfield_death_cause_source_value"]);
      expect(await failedFields({})).toEqual(together);
      // The table's probe failed (a field is missing): every field was then probed alone, none by the joint probe.
      expect(probes).toBe(0);
      await conn.execute("ALTER TABLE cdm.death ADD COLUMN cause_source_value VARCHAR");
      let joint = 0;
      expect(await failedFields({ ...hooks.options, onMeasured: (_c, m) => void (m.queryText?.includes(", ") && joint++) })).toEqual([]);
      expect(joint).toBe(checks.filter((c) => c.checkName === "cdmField").length);
    } finally {
      await conn.close();
    }
  });
});
