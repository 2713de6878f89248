import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/compile/canonical-json.js";
import { formatDiagnostic } from "../../src/core/diagnostics/format.js";
import { compileSynthea, VOCAB_DIRS, type VocabFormat } from "./synthea-harness.js";

/** Vocabulary tables the workflow loads, and the Synthea CSVs it reads. */
const VOCAB_TABLES = ["concept", "concept_ancestor", "concept_class", "concept_relationship", "concept_synonym", "domain", "drug_strength", "relationship", "vocabulary"];
const SYNTHEA_FILES = [
  "allergies", "conditions", "devices", "encounters", "immunizations", "medications", "observations", "organizations",
  "patients", "payer_transitions", "payers", "procedures", "providers", "supplies",
];
/** CDM tables the workflow must populate (the acceptance list). */
const CDM_TABLES = [
  "location", "care_site", "provider", "person", "observation_period", "death", "visit_occurrence", "visit_detail",
  "condition_occurrence", "drug_exposure", "procedure_occurrence", "device_exposure", "measurement", "observation",
  "payer_plan_period", "cost", "cdm_source", "condition_era", "drug_era",
];

describe.each(Object.keys(VOCAB_DIRS) as VocabFormat[])("synthea-cdm54 with the %s vocabulary folder", (vocab) => {
  it("compiles without errors or warnings, and identically twice", async () => {
    const first = await compileSynthea(vocab);
    expect(first.diagnostics.map((d) => formatDiagnostic(d))).toEqual([]);
    expect(first.plan).toBeDefined();
    const again = await compileSynthea(vocab);
    expect(canonicalJson(again.plan)).toBe(canonicalJson(first.plan));
    expect(again.plan!.fingerprint).toBe(first.plan!.fingerprint);
  });

  it("detects the vocabulary files' format: tab, unquoted, yyyymmdd (Athena) or comma, quoted, ISO", async () => {
    const plan = (await compileSynthea(vocab)).plan!;
    const vocabLoads = plan.steps.filter((s) => s.body.kind === "load" && s.body.target.schema === "vocab");
    // source_to_concept_map holds the workflow's own mappings (Synthea's unit spellings), shipped with it.
    const stcm = vocabLoads.filter((s) => s.body.kind === "load" && s.body.target.name === "source_to_concept_map");
    expect(stcm.map((s) => (s.body.kind === "load" ? s.body.files.map((f) => f.replace(/^.*\/resources\//, "resources/")) : []))).toEqual([["resources/maps/synthea_units.csv"]]);
    const loads = vocabLoads.filter((s) => !stcm.includes(s));
    expect(loads.map((s) => (s.body.kind === "load" ? s.body.target.name : "")).sort()).toEqual(VOCAB_TABLES);
    for (const s of loads) {
      if (s.body.kind !== "load") continue;
      expect(s.body.files).toHaveLength(1);
      expect(s.body.files[0]!.startsWith(VOCAB_DIRS[vocab].split("\\").join("/"))).toBe(true);
      expect(s.body.files[0]).toMatch(/\/[A-Z_]+\.csv$/);
      if (vocab === "athena") expect(s.body.format).toMatchObject({ delimiter: "\t", quote: null });
      else expect(s.body.format).toMatchObject({ delimiter: ",", quote: '"' });
      // Tables with dates whose first row holds one: the format is read from it.
      if (["concept", "concept_relationship"].includes(s.body.target.name)) {
        if (vocab === "athena") expect(s.body.format.dateFormat).toBe("%Y%m%d");
        else expect(s.body.format.dateFormat).toBeUndefined();
      }
    }
  });

  it("loads every Synthea file it uses into source.*, and writes every CDM table of the acceptance list", async () => {
    const plan = (await compileSynthea(vocab)).plan!;
    const sourceLoads = plan.steps.flatMap((s) => (s.body.kind === "load" && s.body.target.schema === "source" ? [s.body.target.name] : []));
    expect(sourceLoads.sort()).toEqual(SYNTHEA_FILES);
    const written = new Set(plan.steps.flatMap((s) => (s.body.kind === "transform" && s.body.target.schema === "cdm" ? [s.body.target.name] : [])));
    for (const t of CDM_TABLES) expect(written.has(t), `a step writes cdm.${t}`).toBe(true);
    // Only declared DML: no sql escape hatch.
    expect(plan.steps.filter((s) => s.kind === "sql").map((s) => s.name)).toEqual([]);
  });
});
