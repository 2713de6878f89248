/** The conformance suite's transforms: merge, replace and rebuild, re-runs, failures mid-step. */
import { failure } from "../conformance-harness.js";
import * as b from "../plan-builders.js";
import { observationPeriodStep, PATIENT_IDS, personStep, visitsStep, weightsStep } from "../sample-workload.js";
import type { SuiteContext } from "./suite-context.js";
import { num } from "./suite-context.js";

/** Registers the transforms tests (a section of defineConformanceSuite). */
export function defineTransformTests(suite: SuiteContext): void {
  const { provider, caps, describe, expect, it, enforcesKeys, PERSON, OBSERVATION_PERIOD, atomic, expectUnchangedOrRepaired, personMode, setUp, loadPatients, expectCode } = suite;
  describe("transforms", () => {
    if (caps.merge) {
      it("merge assigns ids in key byte order, re-runs to identical contents, and updates a changed row without duplicates", async (h) => {
        const ctx = await setUp(h);
        await loadPatients(h, ctx);
        expect(await h.run(personStep(PERSON), ctx)).toBe(4);
        const first = await h.dump("cdm", "person");
        const firstIds = await h.dump("staging", "omopetl_id_map");
        const rows = await h.rows("cdm", "person", { columns: ["person_id", "person_source_value"], orderBy: [{ column: "person_id" }] });
        expect(rows.map((r) => [num(r["person_id"]), r["person_source_value"]])).toEqual(PATIENT_IDS.map((id, i) => [i + 1, id]));

        expect(await h.run(personStep(PERSON), ctx)).toBe(0);
        expect(await h.dump("cdm", "person")).toBe(first);
        expect(await h.dump("staging", "omopetl_id_map")).toBe(firstIds);

        await h.update("source", "patients", { gender: "F" }, { id: "p1" });
        await h.insert("source", "patients", ["id", "gender", "birthdate"], [["p0", "M", "2010-10-10"]]);
        expect(await h.run(personStep(PERSON), ctx)).toBe(2);
        const after = await h.rows("cdm", "person", { columns: ["person_id", "gender_concept_id", "person_source_value"], orderBy: [{ column: "person_id" }] });
        expect(after.map((r) => [num(r["person_id"]), num(r["gender_concept_id"]), r["person_source_value"]])).toEqual([
          [1, 8532, "p1"],
          [2, 8532, 'p2, the "second"'],
          [3, 0, "p3"],
          [4, 8507, "pä4 ✓"],
          // a new key gets the next id; existing ids never move
          [5, 8507, "p0"],
        ]);
      });

      it("merge leaves float values alone on a re-run, and a non-CDM target gets its declared key", async (h) => {
        const ctx = await setUp(h);
        await loadPatients(h, ctx);
        expect(await h.run(weightsStep(), ctx)).toBe(4);
        const first = await h.dump("staging", "weights");
        expect(await h.run(weightsStep(), ctx)).toBe(0);
        expect(await h.dump("staging", "weights")).toBe(first);
        if (enforcesKeys) await failure(h.insert("staging", "weights", ["id"], [["p1"]]));
      });

      it(`a failing merge leaves the target and the id map ${atomic ? "unchanged" : "repaired by a re-run"}`, async (h) => {
        const ctx = await setUp(h);
        await loadPatients(h, ctx);
        await h.run(personStep(PERSON), ctx);
        const person = await h.dump("cdm", "person");
        const ids = await h.dump("staging", "omopetl_id_map");
        await h.insert("source", "patients", ["id", "gender", "birthdate"], [["p0", "M", "2010-10-10"]]);
        // gender_concept_id is NOT NULL: the id of p0 is assigned, then the MERGE fails; both must roll back
        const bad = personStep(PERSON, "merge", b.lit(null));
        const e = await expectCode(h.run(bad, ctx), "SQL_EXECUTION_FAILED");
        expect((e as { statementIndex?: unknown }).statementIndex).toBe(provider.generator.renderStep(bad, ctx).resultStatement);
        if (atomic) {
          expect(await h.dump("cdm", "person")).toBe(person);
          expect(await h.dump("staging", "omopetl_id_map")).toBe(ids);
        } else {
          // p0 stays in the source, so the repaired person table has it: compare with a fresh merge instead
          await h.deleteRows("source", "patients", { id: "p0" });
          await h.run(personStep(PERSON), ctx);
          expect(await h.dump("cdm", "person")).toBe(person);
        }
      });
    }

    it("replace creates its staging target, owns only its slice, and re-runs to identical contents", async (h) => {
      const ctx = await setUp(h);
      await loadPatients(h, ctx);
      expect(await h.run(visitsStep("A", ""), ctx)).toBe(4);
      expect(await h.run(visitsStep("B", "xx"), ctx)).toBe(4);
      const first = await h.dump("staging", "visits");
      await h.run(visitsStep("B", "xx"), ctx);
      expect(await h.dump("staging", "visits")).toBe(first);
      // re-running B with other values changes B's rows only
      await h.run(visitsStep("B", "xxx"), ctx);
      const totals = new Map<unknown, [number, number]>();
      for (const r of await h.rows("staging", "visits", { columns: ["kind", "n"], orderBy: [{ column: "kind" }] })) {
        const t = totals.get(r["kind"]) ?? [0, 0];
        totals.set(r["kind"], [t[0] + (num(r["n"]) ?? 0), t[1] + 1]);
      }
      const chars = PATIENT_IDS.reduce((n, id) => n + [...id].length, 0);
      expect([...totals].map(([kind, [total, c]]) => [kind, total, c])).toEqual([
        ["A", chars, 4],
        ["B", chars + 4 * 3, 4],
      ]);
    });

    it("rebuild recreates the table with its primary key (declared or checked), and re-runs to identical contents", async (h) => {
      const ctx = await setUp(h);
      await loadPatients(h, ctx);
      await h.run(personStep(PERSON, personMode), ctx);
      expect(await h.run(observationPeriodStep(OBSERVATION_PERIOD), ctx)).toBe(4);
      const first = await h.dump("cdm", "observation_period");
      expect(await h.run(observationPeriodStep(OBSERVATION_PERIOD), ctx)).toBe(4);
      expect(await h.dump("cdm", "observation_period")).toBe(first);
      const dates = await h.rows("cdm", "observation_period", { columns: ["observation_period_end_date"] });
      expect(dates.map((r) => r["observation_period_end_date"])).toContain("1981-02-28");
      if (enforcesKeys) {
        // Every period under one id: the step fails, whether the engine's key refuses the rows (a declared primary
        // key) or the step's check after the insert does (the generator's rebuiltKeyChecked: DuckDB, PostgreSQL).
        const twice = observationPeriodStep(OBSERVATION_PERIOD);
        if (twice.body.kind !== "transform") throw new Error("unreachable");
        twice.body.selects[0]!.columns[0]!.expr = b.lit(1);
        const e = await expectCode(h.run(twice, ctx), "SQL_EXECUTION_FAILED");
        expect(String((e as Error).message)).toMatch(/duplicate|unique|constraint/i);
      }
    });

    it(`a failing statement in the middle of a step leaves the target ${atomic ? "unchanged" : "repaired by a re-run"}`, async (h) => {
      const ctx = await setUp(h);
      await loadPatients(h, ctx);
      await h.run(visitsStep("A", ""), ctx);
      const before = await h.dump("staging", "visits");
      // kind is NOT NULL: the DELETE of the slice runs, then the INSERT fails; the DELETE must roll back with it
      const bad = visitsStep("A", "");
      if (bad.body.kind !== "transform") throw new Error("unreachable");
      bad.body.selects[0]!.columns[1]!.expr = b.lit(null);
      const e = await expectCode(h.run(bad, ctx), "SQL_EXECUTION_FAILED");
      expect((e as { statementIndex?: unknown }).statementIndex).toBe(provider.generator.renderStep(bad, ctx).resultStatement);
      expect((e as { stepName?: unknown }).stepName).toBe("visits_A");
      await expectUnchangedOrRepaired(() => h.dump("staging", "visits"), before, () => h.run(visitsStep("A", ""), ctx));
      if (caps.transactionalDdl && atomic) {
        // rebuild drops/recreates the table before inserting: with transactional DDL, that rolls back too
        await h.run(personStep(PERSON, personMode), ctx);
        await h.run(observationPeriodStep(OBSERVATION_PERIOD), ctx);
        const op = await h.dump("cdm", "observation_period");
        await expectCode(h.run(observationPeriodStep(OBSERVATION_PERIOD, b.lit(null)), ctx), "SQL_EXECUTION_FAILED");
        expect(await h.dump("cdm", "observation_period")).toBe(op);
      }
    });
  });
}
