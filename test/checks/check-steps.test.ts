/**
 * Where `run --check` puts the checks in a run's DAG (check-steps.ts): after the writers of what they read, before
 * the steps reading the checked table, never in a cycle. The run itself is tested on the engines in
 * test/cli/run-check-steps.test.ts.
 */
import { describe, expect, it } from "vitest";
import { compileChecks } from "../../src/core/checks/compile-checks.js";
import { loadDqdDefinitions } from "../../src/core/checks/dqd-definitions.js";
import { selectDqdChecks } from "../../src/core/checks/dqd-select.js";
import type { CompiledWorkflowPlan, PlanStep } from "../../src/core/model/plan.js";
import { SpecificationManager } from "../../src/core/spec/specification-manager.js";
import { blockingResults, planCheckSteps } from "../../src/orchestrators/checks/check-steps.js";
import type { CheckResult } from "../../src/core/checks/evaluate-results.js";
import { dqdDir, specDir } from "../helpers/paths.js";

const spec = await new SpecificationManager({ dir: specDir, offline: true }).load("5.4");
const checks = compileChecks(selectDqdChecks(loadDqdDefinitions(dqdDir, "5.4")), spec).filter((c) => c.measure.kind !== "unsupported");

const ref = (t: string) => ({ schema: t === "concept" ? "vocab" : t.startsWith("stg_") ? "staging" : "cdm", name: t });

/** The parts of a plan step the check planning reads. */
function step(name: string, o: { reads?: string[]; writes?: string[]; dependsOn?: string[]; level?: number; ddl?: "tables" | "indexes" }): PlanStep {
  return {
    name,
    kind: o.ddl ? "ddl" : "transform",
    file: `dml/${name}.yaml`,
    dependsOn: o.dependsOn ?? [],
    level: o.level ?? 0,
    fingerprint: name,
    retries: 0,
    reads: (o.reads ?? []).map(ref),
    writes: (o.writes ?? []).map(ref),
    body: (o.ddl ? { kind: "ddl", part: o.ddl, tables: [] } : { kind: "transform" }) as PlanStep["body"],
  };
}

const steps = [
  step("cdm_tables", { ddl: "tables", writes: ["person", "concept", "observation_period", "condition_occurrence", "condition_era"] }),
  step("concept", { writes: ["concept"], dependsOn: ["cdm_tables"], level: 1 }),
  step("person", { writes: ["person"], dependsOn: ["cdm_tables"], level: 1 }),
  // Reads and writes PERSON: it feeds person's checks, so it cannot wait for them.
  step("person_fix", { reads: ["person"], writes: ["person"], dependsOn: ["person"], level: 2 }),
  step("observation_period", { reads: ["person"], writes: ["observation_period"], dependsOn: ["person_fix"], level: 3 }),
  step("condition_occurrence", { reads: ["person", "concept"], writes: ["condition_occurrence"], dependsOn: ["concept", "person_fix"], level: 3 }),
  step("condition_era", { reads: ["condition_occurrence"], writes: ["condition_era"], dependsOn: ["condition_occurrence"], level: 4 }),
  step("cdm_indexes", { ddl: "indexes", writes: ["person", "concept", "observation_period", "condition_occurrence", "condition_era"], dependsOn: ["condition_era", "observation_period"], level: 5 }),
];
const plan = { steps } as unknown as CompiledWorkflowPlan;

describe("check steps in a run's DAG", () => {
  const { steps: checkSteps, gates } = planCheckSteps(plan, steps, { checks, failOn: "fatal" });
  const byName = new Map(checkSteps.map((c) => [c.name, c]));

  it("one step per checked table, after every step writing what its checks read, but not after the DDL of indexes", () => {
    expect(checkSteps).toHaveLength(new Set(checks.map((c) => c.cdmTableName)).size);
    expect(byName.get("check:person")!.dependsOn).toEqual(["cdm_tables", "concept", "person", "person_fix"]);
    expect(byName.get("check:person")!.level).toBe(3);
    expect(byName.get("check:person")!.checks.every((c) => c.cdmTableName === "PERSON")).toBe(true);
    // A table nobody writes but the DDL (NOTE): after the DDL and what its foreign keys read.
    expect(byName.get("check:note")!.dependsOn).toEqual(["cdm_tables", "concept", "person", "person_fix"]);
    expect(checkSteps.some((c) => c.dependsOn.includes("cdm_indexes"))).toBe(false);
  });

  it("the steps reading a checked table wait for its checks, unless they feed them", () => {
    expect(gates.get("observation_period")).toEqual(["check:person"]);
    expect(gates.get("condition_era")).toEqual(["check:condition_occurrence"]);
    // person_fix reads PERSON but writes it too: it runs before PERSON's checks.
    expect(gates.get("person_fix")).toBeUndefined();
    expect(gates.get("condition_occurrence")).toEqual(["check:person"]);
    // CONCEPT's checks are excluded by DQD's defaults: nothing waits for them.
    expect([...gates.values()].flat()).not.toContain("check:concept");
  });

  it("measureConditionEraCompleteness's step measures CONDITION_OCCURRENCE's existence and emptiness too, as helpers", () => {
    const era = byName.get("check:condition_era")!;
    expect(era.helpers.map((c) => c.checkName)).toEqual(["cdmTable", "measureValueCompleteness"]);
    expect(era.helpers.every((c) => c.cdmTableName === "CONDITION_OCCURRENCE")).toBe(true);
    expect(era.dependsOn).toContain("condition_occurrence");
  });

  it("with a selection, only the tables the selected steps write are checked", () => {
    const selected = planCheckSteps(plan, steps, { checks, failOn: "fatal" }, new Set(["observation_period"]));
    expect(selected.steps.map((c) => c.name)).toEqual(["check:observation_period"]);
  });

  it("the fingerprint changes with what blocks, so a resumed run reruns the checks under the new rule", () => {
    const threshold = planCheckSteps(plan, steps, { checks, failOn: "threshold" });
    expect(threshold.steps[0]!.fingerprint).not.toBe(checkSteps[0]!.fingerprint);
    expect(planCheckSteps(plan, steps, { checks, failOn: "fatal" }).steps.map((c) => c.fingerprint)).toEqual(checkSteps.map((c) => c.fingerprint));
  });

  it("blocking results follow --fail-on", () => {
    const r = (status: CheckResult["status"], severity: string) => ({ checkId: `${status}_${severity}`, status, severity }) as CheckResult;
    const all = [r("failed", "fatal"), r("failed", "characterization"), r("error", "convention"), r("passed", "fatal"), r("not_applicable", "fatal")];
    const ids = (failOn: Parameters<typeof blockingResults>[1]) => blockingResults(all, failOn).map((x) => x.checkId);
    expect(ids("none")).toEqual([]);
    expect(ids("error")).toEqual(["error_convention"]);
    expect(ids("fatal")).toEqual(["failed_fatal", "error_convention"]);
    expect(ids("threshold")).toEqual(["failed_fatal", "failed_characterization", "error_convention"]);
  });
});
