/** The conformance suite's capabilities: what the provider says it lacks raises UNSUPPORTED_FEATURE. */
import { pathToFileURL } from "node:url";
import * as b from "../plan-builders.js";
import { loadPatientsStep, PATIENTS, PATIENTS_CSV, PATIENTS_FORMAT, personStep } from "../sample-workload.js";
import type { SuiteContext } from "./suite-context.js";

/** URI schemes the suite tries against `capabilities.fileUriSchemes`; the last one no provider supports. */
const PROBE_SCHEMES = ["s3", "gs", "az", "abfss", "http", "https", "hf", "omopetl-unknown"];

/** Registers the capabilities tests (a section of defineConformanceSuite). */
export function defineCapabilityTests(suite: SuiteContext): void {
  const { provider, caps, describe, expect, it, PERSON, BASE_TABLES, setUp, expectCode } = suite;
  describe("capabilities", () => {
    it(`parquet: ${caps.parquet ? "a Parquet load renders" : "a Parquet load raises UNSUPPORTED_FEATURE"}`, async (h) => {
      const ctx = h.context([PATIENTS]);
      const step = b.loadStep("load_parquet", b.ref("source", "patients"), [`${h.dir}/patients.parquet`], PATIENTS.columns, { ...b.CSV, type: "parquet" });
      if (caps.parquet) expect(provider.generator.renderStep(step, ctx).statements.length).toBeGreaterThan(0);
      else await expectCode(() => provider.generator.renderStep(step, ctx), "UNSUPPORTED_FEATURE");
    });

    it(`URI schemes: ${caps.fileUriSchemes.join(", ") || "none"} accepted, others raise UNSUPPORTED_FEATURE`, async (h) => {
      const ctx = await setUp(h);
      const load = (f: string) => loadPatientsStep(f);
      for (const scheme of PROBE_SCHEMES.filter((s) => !caps.fileUriSchemes.includes(s))) {
        await expectCode(() => provider.generator.renderStep(load(`${scheme}://bucket/patients.csv`), ctx), "UNSUPPORTED_FEATURE");
      }
      // a scheme the provider claims renders (reading it would need the remote store, which the suite has not)
      for (const scheme of caps.fileUriSchemes.filter((s) => s !== "file")) {
        expect(provider.generator.renderStep(load(`${scheme}://bucket/patients.csv`), ctx).statements.length).toBeGreaterThan(0);
      }
      const uri = pathToFileURL(await h.writeFile("patients.csv", PATIENTS_CSV)).href;
      if (caps.fileUriSchemes.includes("file")) expect(await h.run(load(uri), ctx)).toBe(4);
      else await expectCode(() => provider.generator.renderStep(load(uri), ctx), "UNSUPPORTED_FEATURE");
    });

    if (!caps.fileGlobs) {
      it("globs: a load of a glob pattern raises UNSUPPORTED_FEATURE", async (h) => {
        const ctx = h.context([PATIENTS]);
        const step = b.loadStep("load_glob", b.ref("source", "patients"), [`${h.dir}/part-*.csv`], PATIENTS.columns, PATIENTS_FORMAT);
        await expectCode(() => provider.generator.renderStep(step, ctx), "UNSUPPORTED_FEATURE");
      });
    }

    if (!caps.merge) {
      it("merge: a transform in mode merge raises UNSUPPORTED_FEATURE", async (h) => {
        const ctx = h.context(BASE_TABLES);
        await expectCode(() => provider.generator.renderStep(personStep(PERSON, "merge"), ctx), "UNSUPPORTED_FEATURE");
      });
    }
  });
}
