import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { getColumn, OHDSI_STANDARD_INDEXES, parseSpec, standardIndexes } from "../../src/core/spec/index.js";
import type { CdmSpec, CdmVersion } from "../../src/core/spec/index.js";

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const csvDir = path.resolve(repoRoot, "../shared/cdm/inst/csv");

function loadReal(version: CdmVersion): CdmSpec {
  return parseSpec(
    version,
    readFileSync(path.join(csvDir, `OMOP_CDMv${version}_Field_Level.csv`)),
    readFileSync(path.join(csvDir, `OMOP_CDMv${version}_Table_Level.csv`)),
    { ref: "local", source: "local" },
  );
}

describe("standardIndexes", () => {
  for (const version of ["5.3", "5.4"] as const) {
    it(`every OHDSI index column exists in the CDM ${version} spec, so nothing is dropped`, () => {
      const spec = loadReal(version);
      const indexes = standardIndexes(spec);
      expect([...indexes.keys()].sort()).toEqual(Object.keys(OHDSI_STANDARD_INDEXES).sort());
      for (const [table, lists] of indexes) {
        expect(lists).toEqual(OHDSI_STANDARD_INDEXES[table]);
        for (const cols of lists) for (const c of cols) expect(getColumn(spec.tables.get(table)!, c), `${table}.${c}`).toBeDefined();
      }
      // Map order follows the spec's table order.
      const order = [...indexes.keys()].map((t) => spec.tableNames.indexOf(t));
      expect(order).toEqual([...order].sort((a, b) => a - b));
    });
  }

  it("follows OHDSI's choices: person_id first for clinical tables, note by type concept, none for RESULTS/episode", () => {
    const spec = loadReal("5.4");
    const idx = standardIndexes(spec);
    expect(idx.get("person")).toEqual([["person_id"], ["gender_concept_id"]]);
    expect(idx.get("condition_occurrence")).toEqual([["person_id"], ["condition_concept_id"], ["visit_occurrence_id"]]);
    expect(idx.get("note")).toEqual([["person_id"], ["note_type_concept_id"], ["visit_occurrence_id"]]);
    expect(idx.get("concept")?.[0]).toEqual(["concept_id"]);
    expect(idx.has("episode")).toBe(false);
    expect(idx.has("cohort")).toBe(false);
    expect(idx.has("cdm_source")).toBe(false);
  });

  it("leaves out indexes whose columns a spec lacks, and tables it lacks", () => {
    const spec = loadReal("5.4");
    const person = spec.tables.get("person")!;
    const trimmed: CdmSpec = {
      ...spec,
      tableNames: spec.tableNames.filter((t) => t !== "concept"),
      tables: new Map([...spec.tables].filter(([t]) => t !== "concept").map(([t, v]) =>
        t === "person" ? [t, { ...person, columns: person.columns.filter((c) => c.name !== "gender_concept_id") }] : [t, v],
      )),
    };
    const idx = standardIndexes(trimmed);
    expect(idx.get("person")).toEqual([["person_id"]]);
    expect(idx.has("concept")).toBe(false);
    // Returned lists are copies: mutating them does not touch the shared table.
    idx.get("person")![0]!.push("x");
    expect(OHDSI_STANDARD_INDEXES.person![0]).toEqual(["person_id"]);
  });
});
