import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import type { CompileResult } from "../../src/core/compile/compile-workflow.js";
import type { Expr } from "../../src/core/expr/ast.js";
import { walkExpr } from "../../src/core/expr/index.js";
import { compileFixture } from "../helpers/compile.js";

/**
 * Which tie-breaker the compiler appends to an order-sensitive window (src/core/compile/window-ties.ts): the select's
 * row key when it is known (the from table's declared key, plus the key of a join that may match several rows; the
 * group_by of a grouped select), every column read otherwise (with NONDETERMINISTIC_WINDOW), nothing for windows
 * that do not depend on ties or are already totally ordered. The engines' rows are compared in
 * test/cli/deterministic-ties.test.ts; this checks the plan.
 */
const LOADS = {
  claims: "kind: load\ntarget: source.claims\nfiles: s3://bucket/claims.csv\nkey: [claim_id]\ncolumns: { claim_id: varchar, patient: varchar, d: date, amount: integer }\n",
  patients: "kind: load\ntarget: source.patients\nfiles: s3://bucket/patients.csv\nkey: [patient_id]\ncolumns: { patient_id: varchar, name: varchar }\n",
  notes: "kind: load\ntarget: source.notes\nfiles: s3://bucket/notes.csv\ncolumns: { patient: varchar, d: date, txt: varchar }\n",
};

/** One transform per case: target staging.<name>, one window column `w`. */
const CASES: Record<string, string> = {
  lag_by_date: "from: source.claims AS c\ncolumns:\n  patient: c.patient\n  w: lag(c.amount) OVER (PARTITION BY c.patient ORDER BY c.d)",
  already_total: "from: source.claims AS c\ncolumns:\n  patient: c.patient\n  w: row_number() OVER (PARTITION BY c.patient ORDER BY c.d, c.claim_id)",
  to_one_join: "from: source.claims AS c\njoins:\n  - { table: source.patients, as: p, on: p.patient_id = c.patient }\ncolumns:\n  name: p.name\n  w: row_number() OVER (PARTITION BY p.name ORDER BY c.d)",
  to_many_join: "from: source.claims AS c\njoins:\n  - { table: source.patients, as: p, on: p.name = c.patient }\ncolumns:\n  name: p.name\n  w: row_number() OVER (PARTITION BY p.name ORDER BY c.d)",
  grouped: "from: source.claims AS c\ngroup_by: [c.patient]\ncolumns:\n  patient: c.patient\n  w: row_number() OVER (ORDER BY sum(c.amount))",
  rank_only: "from: source.claims AS c\ncolumns:\n  patient: c.patient\n  w: rank() OVER (ORDER BY c.d)",
  running_sum: "from: source.claims AS c\ncolumns:\n  patient: c.patient\n  w: sum(c.amount) OVER (PARTITION BY c.patient ORDER BY c.d)",
  moving_sum: "from: source.claims AS c\ncolumns:\n  patient: c.patient\n  w: sum(c.amount) OVER (PARTITION BY c.patient ORDER BY c.d ROWS BETWEEN 1 PRECEDING AND CURRENT ROW)",
  no_key: "from: source.notes AS n\ncolumns:\n  patient: n.patient\n  txt: n.txt\n  w: row_number() OVER (PARTITION BY n.patient ORDER BY n.d)",
  no_key_all_ordered: "from: source.notes AS n\ncolumns:\n  patient: n.patient\n  w: row_number() OVER (PARTITION BY n.patient ORDER BY n.d, n.txt)",
  first_per_key:
    "with:\n  latest:\n    from: source.notes AS n\n    qualify: row_number() OVER (PARTITION BY n.patient ORDER BY n.d DESC, n.txt) = 1\n    columns: { patient: n.patient, d: n.d }\n" +
    "from: latest AS l\ncolumns:\n  patient: l.patient\n  w: row_number() OVER (ORDER BY l.d)",
  range_frame: "from: source.notes AS n\ncolumns:\n  patient: n.patient\n  w: first_value(n.txt) OVER (PARTITION BY n.patient ORDER BY n.d RANGE BETWEEN 3 PRECEDING AND CURRENT ROW)",
};

let result: CompileResult;

beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-wties-"));
  mkdirSync(path.join(dir, "dml"));
  const steps = [...Object.keys(LOADS), ...Object.keys(CASES)];
  writeFileSync(path.join(dir, "workflow.yaml"), `name: wties\ncdm_version: "5.4"\nsteps:\n${steps.map((s) => `  - dml: dml/${s}.yaml\n`).join("")}`);
  for (const [name, text] of Object.entries(LOADS)) writeFileSync(path.join(dir, `dml/${name}.yaml`), text);
  for (const [name, body] of Object.entries(CASES)) writeFileSync(path.join(dir, `dml/${name}.yaml`), `kind: transform\ntarget: staging.${name}\nmode: rebuild\n${body}\n`);
  result = await compileFixture("workflow.yaml", dir);
});

/** The ORDER BY of step `name`'s window column, as alias.column (or the expression kind). */
function orderOf(name: string): string[] {
  const step = result.plan!.steps.find((s) => s.name === name)!;
  if (step.body.kind !== "transform") throw new Error("not a transform");
  const w = step.body.selects[0]!.columns.find((c) => c.name === "w")!.expr;
  let found: Extract<Expr, { k: "window" }> | undefined;
  walkExpr(w, (e) => {
    if (e.k === "window") found = e;
  });
  return found!.orderBy.map((o) => (o.expr.k === "col" ? `${o.expr.table}.${o.expr.column}` : o.expr.k === "fn" ? o.expr.name : o.expr.k));
}

const warningsAt = (file: string) => result.diagnostics.filter((d) => d.code === "NONDETERMINISTIC_WINDOW" && d.location?.file === file);

describe("tie-breakers of order-sensitive windows", () => {
  it("compiles, warning only where no key is known", () => {
    expect(result.plan, JSON.stringify(result.diagnostics)).toBeDefined();
    expect(result.diagnostics.filter((d) => d.code === "NONDETERMINISTIC_WINDOW").map((d) => d.location?.file).sort()).toEqual(["dml/no_key.yaml", "dml/range_frame.yaml"]);
  });

  it("appends the from table's declared key", () => expect(orderOf("lag_by_date")).toEqual(["c.d", "c.claim_id"]));
  it("leaves an ORDER BY that already holds the key", () => expect(orderOf("already_total")).toEqual(["c.d", "c.claim_id"]));
  it("a join whose ON fixes the joined key adds nothing", () => expect(orderOf("to_one_join")).toEqual(["c.d", "c.claim_id"]));
  it("a join that may match several rows adds its key", () => expect(orderOf("to_many_join")).toEqual(["c.d", "c.claim_id", "p.patient_id"]));
  it("a grouped select breaks ties on its group_by", () => expect(orderOf("grouped")).toEqual(["sum", "c.patient"]));
  it("rank() and a running sum (peers included) do not depend on ties: unchanged", () => {
    expect(orderOf("rank_only")).toEqual(["c.d"]);
    expect(orderOf("running_sum")).toEqual(["c.d"]);
  });
  it("a ROWS frame counts rows: the key is appended", () => expect(orderOf("moving_sum")).toEqual(["c.d", "c.claim_id"]));
  it("without a key, every other column read is appended and the window is reported at its call", () => {
    expect(orderOf("no_key")).toEqual(["n.d", "n.txt"]);
    const [w] = warningsAt("dml/no_key.yaml");
    expect(w?.location).toMatchObject({ line: 8, column: 6 });
    expect(w?.message).toContain("ties are broken by the other columns the select reads (n.txt)");
  });
  it("without a key but ordered by every column read, tied rows are identical: no warning", () => {
    expect(orderOf("no_key_all_ordered")).toEqual(["n.d", "n.txt"]);
    expect(warningsAt("dml/no_key_all_ordered.yaml")).toEqual([]);
  });
  it("a sub-select keeping the first row per key (qualify row_number() ... = 1) has that key: it breaks the ties", () => {
    expect(orderOf("first_per_key")).toEqual(["l.d", "l.patient"]);
    expect(warningsAt("dml/first_per_key.yaml")).toEqual([]);
  });
  it("first_value over a RANGE frame is reported and left as it is", () => {
    expect(orderOf("range_frame")).toEqual(["n.d"]);
    expect(warningsAt("dml/range_frame.yaml")[0]?.message).toContain("RANGE frame");
  });
});
