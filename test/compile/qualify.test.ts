/**
 * `qualify:` on a select: analysed with window calls allowed (aggregates only when the select is grouped), carried
 * in the plan's Select, and listed in the step's row accounting. The golden fixture compile/qualify has the full
 * plan; these cases pin down what is rejected, and where.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/core/compile/compile-workflow.js";
import { formatDiagnostic } from "../../src/core/diagnostics/format.js";
import type { TransformBody } from "../../src/core/model/plan.js";
import { compileFixture } from "../helpers/compile.js";

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const LOAD = `kind: load
target: source.encounters
files: s3://bucket/encounters.csv
columns: { id: varchar, patient: varchar, start: date, cost: float }
`;

/** Compiles a workflow of the encounters load and one transform whose YAML is `transform`. */
async function compileTransform(transform: string): Promise<CompileResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-qualify-"));
  dirs.push(dir);
  mkdirSync(path.join(dir, "dml"));
  writeFileSync(
    path.join(dir, "workflow.yaml"),
    'name: q\ncdm_version: "5.4"\nsteps:\n  - dml: dml/load.yaml\n  - dml: dml/t.yaml\n',
  );
  writeFileSync(path.join(dir, "dml/load.yaml"), LOAD);
  writeFileSync(path.join(dir, "dml/t.yaml"), transform);
  return compileFixture("workflow.yaml", dir);
}

const HEAD = "kind: transform\ntarget: staging.out\nmode: rebuild\nfrom: source.encounters AS e\n";

const errors = (r: CompileResult): string[] => r.diagnostics.filter((d) => d.severity === "error").map((d) => formatDiagnostic(d));

function transformOf(r: CompileResult): TransformBody {
  expect(errors(r)).toEqual([]);
  const body = r.plan!.steps.find((s) => s.name === "t")!.body;
  if (body.kind !== "transform") throw new Error("transform expected");
  return body;
}

describe("qualify", () => {
  it("is carried in the plan's select and listed among the row-accounting filters", async () => {
    const body = transformOf(
      await compileTransform(`${HEAD}qualify: "row_number() OVER (PARTITION BY e.patient ORDER BY e.start) = 1"\ncolumns: { id: e.id }\n`),
    );
    const q = body.selects[0]!.qualify;
    expect(q?.k).toBe("bin");
    expect(q?.type).toBe("boolean");
    expect(body.audit?.filters).toEqual(["qualify row_number() OVER (PARTITION BY e.patient ORDER BY e.start) = 1"]);
  });

  it("is absent from selects without one", async () => {
    const body = transformOf(await compileTransform(`${HEAD}columns: { id: e.id }\n`));
    expect("qualify" in body.selects[0]!).toBe(false);
  });

  it("needs no window call (then it filters like where, after grouping)", async () => {
    const body = transformOf(await compileTransform(`${HEAD}group_by: [e.patient]\nqualify: count(*) > 1\ncolumns: { patient: e.patient }\n`));
    expect(body.selects[0]!.qualify?.k).toBe("bin");
  });

  it("may use aggregates in a grouped select, and window calls over them", async () => {
    const body = transformOf(
      await compileTransform(`${HEAD}group_by: [e.patient]\nqualify: "rank() OVER (ORDER BY sum(e.cost) DESC) <= 2"\ncolumns: { patient: e.patient, total: sum(e.cost) }\n`),
    );
    expect(body.selects[0]!.qualify).toBeDefined();
  });

  it("a having with an aggregate makes the select grouped, for qualify and columns alike", async () => {
    const body = transformOf(
      await compileTransform(`${HEAD}having: count(*) > 1\nqualify: "rank() OVER (ORDER BY count(*)) = 1"\ncolumns: { total: sum(e.cost) }\n`),
    );
    expect(body.selects[0]!.qualify).toBeDefined();
    const r = await compileTransform(`${HEAD}having: count(*) > 1\ncolumns: { id: e.id }\n`);
    expect(errors(r)).toEqual([
      'dml/t.yaml:6:16 error AGGREGATE_MIXED: "id" is not aggregated and not in group_by. Add it to group_by or wrap it in an aggregate such as min().',
    ]);
  });

  it("rejects aggregates when the select is not grouped", async () => {
    const r = await compileTransform(`${HEAD}qualify: count(*) > 1\ncolumns: { id: e.id }\n`);
    expect(errors(r)).toEqual([
      "dml/t.yaml:5:10 error AGGREGATE_NOT_ALLOWED: aggregate count() is not allowed here. Aggregates are allowed only in columns and having (and in qualify when the select is grouped).",
    ]);
  });

  it("in a grouped select, columns it reads outside aggregates must be grouped", async () => {
    const r = await compileTransform(
      `${HEAD}group_by: [e.patient]\nqualify: "row_number() OVER (PARTITION BY e.patient ORDER BY e.start) = 1"\ncolumns: { patient: e.patient }\n`,
    );
    expect(errors(r)).toEqual([
      'dml/t.yaml:6:10 error AGGREGATE_MIXED: "qualify" is not aggregated and not in group_by. Add it to group_by or wrap it in an aggregate such as min().',
    ]);
  });

  it("must be a boolean, and its names must resolve", async () => {
    const r = await compileTransform(`${HEAD}qualify: "row_number() OVER (ORDER BY e.strat) = 1"\ncolumns: { id: e.id }\n`);
    expect(errors(r)).toEqual([
      'dml/t.yaml:5:41 error UNKNOWN_COLUMN: "strat" is not a column of "e" (source.encounters). Did you mean "start"?',
    ]);
    const s = await compileTransform(`${HEAD}qualify: e.patient\ncolumns: { id: e.id }\n`);
    expect(errors(s)).toEqual(["dml/t.yaml:5:10 error TYPE_MISMATCH: expected a boolean condition, got string."]);
  });

  it("window calls stay out of where, with a pointer to qualify", async () => {
    const r = await compileTransform(`${HEAD}where: "row_number() OVER (ORDER BY e.start) = 1"\ncolumns: { id: e.id }\n`);
    expect(errors(r)).toEqual([
      "dml/t.yaml:5:9 error WINDOW_NOT_ALLOWED: window call row_number() OVER (...) is not allowed here. Window functions are allowed only in output columns and in qualify (which filters rows on them).",
    ]);
  });

  it("each select of a union_all has its own", async () => {
    const body = transformOf(
      await compileTransform(
        [
          "kind: transform",
          "target: staging.out",
          "mode: rebuild",
          "union_all:",
          "  - from: source.encounters AS e",
          '    qualify: "row_number() OVER (PARTITION BY e.patient ORDER BY e.start) = 1"',
          "    columns: { id: e.id }",
          "  - from: source.encounters AS e",
          "    columns: { id: e.id }",
          "",
        ].join("\n"),
      ),
    );
    expect(body.selects.map((s) => s.qualify !== undefined)).toEqual([true, false]);
  });
});
