import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { compileChecks, SUPPORTED_CHECK_NAMES } from "../../src/core/checks/compile-checks.js";
import { loadDqdDefinitions } from "../../src/core/checks/dqd-definitions.js";
import { selectDqdChecks } from "../../src/core/checks/dqd-select.js";
import { OmopetlError } from "../../src/core/diagnostics/diagnostic.js";
import { SpecificationManager } from "../../src/core/spec/specification-manager.js";
import { dqdDir, specDir } from "../helpers/paths.js";

const defs = loadDqdDefinitions(dqdDir, "5.4");
const selected = selectDqdChecks(defs);

function countBy<T>(xs: readonly T[], key: (x: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return out;
}

function thrown(fn: () => unknown): OmopetlError {
  try {
    fn();
  } catch (e) {
    if (e instanceof OmopetlError) return e;
    throw e;
  }
  throw new Error("expected an OmopetlError");
}

describe("DQD 2.8.4 check definitions (../shared/dqd)", () => {
  it("selects 2,374 checks on CDM 5.4 with DQD's defaults, per check type as DQD's evaluation filters select them", () => {
    // The 2,374, also counted by a throw-away script over the CSVs (csv-parse, each type's filter as plain
    // string comparisons): each type's filter over its level's rows, without the 8 vocabulary tables DQD excludes
    // by default and without the field `offset`; cdmTable and cdmField count because R's `$` matches cdmTableName.
    expect(selected).toHaveLength(2374);
    expect(countBy(selected, (c) => c.checkName)).toEqual({
      cdmTable: 31,
      measurePersonCompleteness: 16,
      measureConditionEraCompleteness: 1,
      measureObservationPeriodOverlap: 1,
      cdmField: 391,
      isRequired: 145,
      cdmDatatype: 197,
      isPrimaryKey: 23,
      isForeignKey: 163,
      fkDomain: 43,
      fkClass: 3,
      isStandardValidConcept: 64,
      measureValueCompleteness: 391,
      standardConceptRecordCompleteness: 48,
      sourceConceptRecordCompleteness: 13,
      sourceValueCompleteness: 32,
      plausibleValueLow: 68,
      plausibleValueHigh: 60,
      plausibleTemporalAfter: 51,
      plausibleDuringLife: 34,
      withinVisitDates: 9,
      plausibleAfterBirth: 49,
      plausibleBeforeDeath: 47,
      plausibleStartBeforeEnd: 22,
      plausibleGender: 287,
      plausibleGenderUseDescendants: 4,
      plausibleUnitConceptIds: 181,
    });
    expect(new Set(selected.map((c) => c.checkId)).size).toBe(2374);
    for (const excluded of ["CONCEPT", "VOCABULARY", "CONCEPT_ANCESTOR", "DOMAIN"]) expect(selected.some((c) => c.cdmTableName === excluded)).toBe(false);
    expect(selected.some((c) => c.cdmTableName === "SOURCE_TO_CONCEPT_MAP")).toBe(true);
  });

  it("gives each check DQD's id, filled description, category, severity, threshold and notes", () => {
    const c = selected.find((x) => x.checkId === "field_isrequired_person_gender_concept_id")!;
    expect(c).toMatchObject({
      checkName: "isRequired",
      checkLevel: "FIELD",
      cdmTableName: "PERSON",
      cdmFieldName: "GENDER_CONCEPT_ID",
      kahnContext: "Validation",
      kahnCategory: "Conformance",
      kahnSubcategory: "Relational",
      severity: "fatal",
      threshold: 0,
    });
    expect(c.checkDescription).toBe(
      "The number and percent of records with a NULL value in the GENDER_CONCEPT_ID of the PERSON that is considered not nullable.",
    );
    const unit = selected.find((x) => x.checkName === "plausibleUnitConceptIds" && x.unitConceptId === undefined && x.conceptId !== undefined)!;
    expect(unit.checkId).toBe(`concept_plausibleunitconceptids_${unit.cdmTableName}_${unit.cdmFieldName}_${unit.conceptId}`.toLowerCase());
    // A threshold of 100 and a threshold left empty (0 then applies, as in DQD's evaluateThresholds) are both kept.
    expect(selected.find((x) => x.checkId === "field_measurevaluecompleteness_care_site_care_site_name")!.threshold).toBe(100);
    expect(selected.filter((x) => x.threshold === undefined).length).toBeGreaterThan(0);
  });

  it("a subset of levels, severities and names narrows the selection as DQD's arguments do", () => {
    expect(selectDqdChecks(defs, { checkLevels: ["TABLE"] })).toHaveLength(31 + 16 + 1 + 1);
    expect(selectDqdChecks(defs, { severities: ["fatal"] }).every((c) => c.severity === "fatal")).toBe(true);
    expect(selectDqdChecks(defs, { checkNames: ["isPrimaryKey"] })).toHaveLength(23);
    // Excluding nothing brings the vocabulary tables back.
    expect(selectDqdChecks(defs, { tablesToExclude: [] }).length).toBeGreaterThan(2374);
  });

  it("a missing folder is DQD_NOT_FOUND naming the file; a damaged filter is DQD_PARSE_ERROR at its file:line", () => {
    const missing = thrown(() => loadDqdDefinitions("/nonexistent/dqd", "5.4"));
    expect(missing.diagnostic.code).toBe("DQD_NOT_FOUND");
    expect(missing.message).toContain("/nonexistent/dqd/OMOP_CDMv5.4_Check_Descriptions.csv");
    expect(missing.diagnostic.hint).toContain("OMOPETL_DQD_DIR");

    const copy = mkdtempSync(path.join(os.tmpdir(), "omopetl-dqd-"));
    cpSync(path.join(dqdDir, "inst/csv"), copy, { recursive: true });
    const file = path.join(copy, "OMOP_CDMv5.4_Check_Descriptions.csv");
    writeFileSync(file, readFileSync(file, "utf8").replace("isRequired=='Yes'", "isRequired %in% c('Yes')"));
    let bad: OmopetlError;
    try {
      bad = thrown(() => selectDqdChecks(loadDqdDefinitions(copy, "5.4")));
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
    expect(bad.diagnostic.code).toBe("DQD_PARSE_ERROR");
    expect(bad.diagnostic.location).toEqual({ file, line: 8, column: 1 });
    expect(bad.message).toContain("isRequired %in% c('Yes')");
  });
});

describe("DQD checks compiled against the CDM 5.4 spec", async () => {
  const spec = await new SpecificationManager({ dir: specDir, offline: true }).load("5.4");
  const compiled = compileChecks(selected, spec);

  it("measures every one of the 2,374 checks (no check type is left uncompiled)", () => {
    expect(compiled).toHaveLength(2374);
    expect(compiled.filter((c) => c.measure.kind === "unsupported").map((c) => c.checkId)).toEqual([]);
    expect(new Set(compiled.map((c) => c.checkName))).toEqual(new Set(SUPPORTED_CHECK_NAMES));
  });

  it("a foreign key is a left join counted where the key is set and the referenced row missing, over all rows", () => {
    const c = compiled.find((x) => x.checkId === "field_isforeignkey_condition_occurrence_person_id")!;
    expect(c.reads).toEqual(["cdm.condition_occurrence", "cdm.person"]);
    expect(c.measure).toEqual({
      kind: "ratio",
      numerator: {
        from: { schema: "cdm", name: "condition_occurrence" },
        alias: "t",
        joins: [
          {
            type: "left",
            table: { schema: "cdm", name: "person" },
            alias: "fk",
            on: { k: "bin", op: "=", left: { k: "col", table: "t", column: "person_id", type: "integer" }, right: { k: "col", table: "fk", column: "person_id", type: "integer" }, type: "boolean" },
          },
        ],
        where: {
          k: "bin",
          op: "and",
          left: { k: "isnull", arg: { k: "col", table: "fk", column: "person_id", type: "integer" }, negated: false, type: "boolean" },
          right: { k: "isnull", arg: { k: "col", table: "t", column: "person_id", type: "integer" }, negated: true, type: "boolean" },
          type: "boolean",
        },
        count: { kind: "rows" },
      },
      denominator: { from: { schema: "cdm", name: "condition_occurrence" }, alias: "t", joins: [], count: { kind: "rows" } },
    });
    // Concepts are in the vocabulary schema.
    const domain = compiled.find((x) => x.checkId === "field_fkdomain_person_gender_concept_id")!;
    expect(domain.reads).toEqual(["cdm.person", "vocab.concept"]);
  });

  it("compiling twice gives the same bytes", () => {
    expect(JSON.stringify(compileChecks(selectDqdChecks(loadDqdDefinitions(dqdDir, "5.4")), spec))).toBe(JSON.stringify(compiled));
  });
});
