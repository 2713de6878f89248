import { describe, expect, it } from "vitest";
import type { CheckMeasure } from "../../src/core/checks/check-model.js";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import { duckdbProvider } from "../../src/providers/duckdb/index.js";
import { postgresProvider } from "../../src/providers/postgres/index.js";
import type { RenderContext } from "../../src/providers/provider-api.js";

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
