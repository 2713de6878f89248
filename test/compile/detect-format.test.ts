import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { LoadBody } from "../../src/core/model/plan.js";
import { compileFixture } from "../helpers/compile.js";
import { vocabAthenaDir, vocabDir } from "../helpers/paths.js";

/** A one-step workflow loading CONCEPT with everything on auto. */
function workflow(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "omopetl-detect-"));
  writeFileSync(path.join(dir, "workflow.yaml"), 'name: detect\ncdm_version: "5.4"\nparams: { vocab_dir: { type: path } }\nsteps: [ { dml: concept.yaml }, { dml: tables.yaml } ]\n');
  writeFileSync(path.join(dir, "tables.yaml"), "kind: ddl\npart: tables\ntables: [concept]\n");
  writeFileSync(
    path.join(dir, "concept.yaml"),
    "kind: load\ntarget: vocab.concept\nfiles: ${params.vocab_dir}/CONCEPT.csv\nformat: { delimiter: auto, date_format: auto, quote: auto }\n",
  );
  return dir;
}

describe("load format auto-detection", () => {
  it("reads comma-separated ISO-date vocabularies as quoted CSV", async () => {
    const dir = workflow();
    const r = await compileFixture("workflow.yaml", dir, { vocab_dir: vocabDir });
    expect(r.diagnostics).toEqual([]);
    const body = r.plan!.steps.find((s) => s.kind === "load")!.body as LoadBody;
    expect(body.format).toMatchObject({ delimiter: ",", quote: '"' });
    expect(body.format.dateFormat).toBeUndefined();
  });

  it("reads Athena downloads as unquoted tab-separated yyyymmdd", async () => {
    const dir = workflow();
    const r = await compileFixture("workflow.yaml", dir, { vocab_dir: vocabAthenaDir });
    expect(r.diagnostics).toEqual([]);
    const body = r.plan!.steps.find((s) => s.kind === "load")!.body as LoadBody;
    expect(body.format).toMatchObject({ delimiter: "\t", quote: null, dateFormat: "%Y%m%d" });
  });
});
