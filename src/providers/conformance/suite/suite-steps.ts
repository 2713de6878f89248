/** The conformance suite's sql steps, every kind and mode in one plan, and the DDL of every CDM table. */
import type { PlanStep } from "../../../core/model/plan.js";
import { failure } from "../conformance-harness.js";
import * as b from "../plan-builders.js";
import { loadPatientsStep, observationPeriodStep, PATIENTS, PATIENTS_CSV, patientCountStep, personStep, VISITS, visitsStep, WEIGHTS, weightsStep } from "../sample-workload.js";
import type { SuiteContext } from "./suite-context.js";
import { withoutComments, num } from "./suite-context.js";

/** Registers the steps and ddl tests (a section of defineConformanceSuite). */
export function defineStepAndDdlTests(suite: SuiteContext): void {
  const { options, provider, caps, describe, expect, it, enforcesKeys, PERSON, OBSERVATION_PERIOD, personMode, setUp, loadPatients } = suite;
  describe("steps", () => {
    it("sql steps substitute ${schemas.x} placeholders and run the dialect's variant", async (h) => {
      const ctx = await setUp(h);
      await loadPatients(h, ctx);
      // sql steps create nothing on their own: in a workflow an earlier step has created the schema
      await h.createSchema("staging");
      await h.run(patientCountStep(provider.dialect), ctx);
      await h.run(patientCountStep(provider.dialect), ctx);
      expect((await h.rows("staging", "patient_count", { columns: ["n"] })).map((r) => num(r["n"]))).toEqual([4]);
    });

    it("every DML kind and mode executes, generation is pure, and a second run leaves identical contents", async (h) => {
      // concept is left out of the plan: foreign keys into it are then not created, and the sample concepts need none
      const ctx = h.context([PATIENTS, VISITS, WEIGHTS, PERSON, OBSERVATION_PERIOD]);
      const cdmRefs = [PERSON, OBSERVATION_PERIOD].map((t) => b.ref(t.schema, t.name));
      const file = await h.writeFile("patients.csv", PATIENTS_CSV);
      const steps: PlanStep[] = [
        b.step("ddl_tables", { kind: "ddl", part: "tables", tables: cdmRefs }),
        b.step("ddl_constraints", { kind: "ddl", part: "constraints", tables: cdmRefs }),
        b.step("ddl_indexes", { kind: "ddl", part: "indexes", tables: cdmRefs }),
        loadPatientsStep(file),
        personStep(PERSON, personMode),
        ...(caps.merge ? [weightsStep()] : []),
        visitsStep("A", ""),
        visitsStep("B", "xx"),
        observationPeriodStep(OBSERVATION_PERIOD),
        patientCountStep(provider.dialect),
      ];
      const kinds = new Set(steps.map((s) => (s.body.kind === "transform" ? `transform/${s.body.mode}` : s.body.kind)));
      expect([...kinds].sort()).toEqual(
        ["ddl", "load", "sql", "transform/rebuild", "transform/replace", ...(caps.merge ? ["transform/merge"] : [])].sort(),
      );
      for (const s of steps) expect(provider.generator.renderStep(s, ctx)).toEqual(provider.generator.renderStep(s, ctx));
      const tables: [string, string][] = [
        ["source", "patients"],
        ["cdm", "person"],
        ["staging", "omopetl_id_map"],
        ["staging", "visits"],
        ["cdm", "observation_period"],
        ["staging", "patient_count"],
        ...(caps.merge ? ([["staging", "weights"]] as [string, string][]) : []),
      ];
      const snapshot = async (): Promise<string[]> => Promise.all(tables.map(([s, n]) => h.dump(s, n)));
      for (const s of steps) await h.run(s, ctx);
      const first = await snapshot();
      expect(first.every((d) => d !== "[]")).toBe(true);
      for (const s of steps) await h.run(s, ctx);
      expect(await snapshot()).toEqual(first);
    });
  });

  describe("ddl", () => {
    it(`creates every table of the CDM (${options.tables.length}), with keys and indexes, idempotently`, async (h) => {
      // indexes: true, so the standard indexes are created (and tested) even where the provider skips them by default.
      const ctx = { ...h.context(options.tables, { cdm: `${h.schemas["cdm"]}_all`, vocab: `${h.schemas["vocab"]}_all` }), indexes: true };
      const constraints = provider.generator.renderDdl(options.tables, "constraints", ctx);
      if (!caps.alterTableAddForeignKey) {
        // a provider that cannot add foreign keys must not emit statements that try to
        expect(constraints.filter((s) => /FOREIGN\s+KEY/i.test(withoutComments(s)))).toEqual([]);
      }
      for (let round = 0; round < 2; round++) {
        for (const part of ["tables", "constraints", "indexes"] as const) {
          await h.ddl(provider.generator.renderDdl(options.tables, part, ctx), `ddl_${part}`);
        }
      }
      for (const t of options.tables) {
        expect(await h.rows(t.schema, t.name, { columns: t.columns.map((c) => c.name), limit: 0 }, ctx.schemas)).toEqual([]);
      }
      if (enforcesKeys) {
        const row = () =>
          h.insert(PERSON.schema, PERSON.name, ["person_id", "gender_concept_id", "year_of_birth", "race_concept_id", "ethnicity_concept_id"], [[1, 0, 2000, 0, 0]], ctx.schemas);
        if (caps.alterTableAddForeignKey) {
          // foreign keys are in force: the row references concept 0, and the concept table is empty
          await failure(row());
        } else {
          // the primary key is in force: a second row with the same person_id is refused
          await row();
          await failure(row());
        }
      }
    });
  });
}
