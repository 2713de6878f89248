import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/core/compile/canonical-json.js";
import { formatDiagnostic } from "../../src/core/diagnostics/format.js";
import type { CompiledWorkflowPlan, LoadBody } from "../../src/core/model/plan.js";
import { compileSynthea, VOCAB_DIRS, type VocabFormat } from "./synthea-harness.js";

/** Every table load of the plan, whether its step loads one table or several. */
const loadsOf = (plan: CompiledWorkflowPlan): LoadBody[] => plan.steps.flatMap((s) => (s.body.kind === "load" ? [s.body] : s.body.kind === "loads" ? s.body.loads : []));

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
    const vocabLoads = loadsOf(plan).filter((l) => l.target.schema === "vocab");
    // source_to_concept_map holds the workflow's own mappings (Synthea's unit spellings), shipped with it.
    const stcm = vocabLoads.filter((l) => l.target.name === "source_to_concept_map");
    expect(stcm.map((l) => l.files.map((f) => f.replace(/^.*\/resources\//, "resources/")))).toEqual([["resources/maps/synthea_units.csv"]]);
    const loads = vocabLoads.filter((l) => !stcm.includes(l));
    expect(loads.map((l) => l.target.name).sort()).toEqual(VOCAB_TABLES);
    // The Athena download is one step (a load of several tables).
    expect(plan.steps.filter((s) => s.body.kind === "loads" && s.body.loads.some((l) => loads.includes(l))).map((s) => s.name)).toEqual(["vocabulary"]);
    for (const l of loads) {
      expect(l.files).toHaveLength(1);
      expect(l.files[0]!.startsWith(VOCAB_DIRS[vocab].split("\\").join("/"))).toBe(true);
      expect(l.files[0]).toMatch(/\/[A-Z_]+\.csv$/);
      if (vocab === "athena") expect(l.format).toMatchObject({ delimiter: "\t", quote: null });
      else expect(l.format).toMatchObject({ delimiter: ",", quote: '"' });
      // Tables with dates whose first row holds one: the format is read from it.
      if (["concept", "concept_relationship"].includes(l.target.name)) {
        if (vocab === "athena") expect(l.format.dateFormat).toBe("%Y%m%d");
        else expect(l.format.dateFormat).toBeUndefined();
      }
    }
  });

  it("loads every Synthea file it uses into source.*, and writes every CDM table of the acceptance list", async () => {
    const plan = (await compileSynthea(vocab)).plan!;
    const sourceLoads = loadsOf(plan).flatMap((l) => (l.target.schema === "source" ? [l.target.name] : []));
    expect(sourceLoads.sort()).toEqual(SYNTHEA_FILES);
    const written = new Set(plan.steps.flatMap((s) => (s.body.kind === "transform" && s.body.target.schema === "cdm" ? [s.body.target.name] : [])));
    for (const t of CDM_TABLES) expect(written.has(t), `a step writes cdm.${t}`).toBe(true);
    // Only declared DML: no sql escape hatch.
    expect(plan.steps.filter((s) => s.kind === "sql").map((s) => s.name)).toEqual([]);
  });
});
