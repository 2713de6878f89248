/** The conformance suite's loads: CSV and TSV files, headers, formats, globs, re-runs and failures. */
import { failure } from "../conformance-harness.js";
import * as b from "../plan-builders.js";
import { PATIENTS } from "../sample-workload.js";
import type { SuiteContext } from "./suite-context.js";
import { sortedBy, num } from "./suite-context.js";

/** Registers the loads tests (a section of defineConformanceSuite). */
export function defineLoadTests(suite: SuiteContext): void {
  const { caps, describe, expect, it, CONCEPT, atomic, expectUnchangedOrRepaired, setUp, loadPatients, expectCode } = suite;
  describe("loads", () => {
    it("read a quoted CSV: header matched by name in any case, absent columns NULL, quoted empty field empty, null values NULL", async (h) => {
      const ctx = await setUp(h);
      expect(await loadPatients(h, ctx)).toBe(4);
      const rows = await h.rows("source", "patients", { columns: ["id", "gender", "birthdate", "race", "weight"] });
      expect(sortedBy(rows, "id").map((r) => ({ ...r, weight: r["weight"] === null ? null : String(num(r["weight"])) }))).toEqual([
        { id: "p1", gender: "M", birthdate: "1980-02-29", race: null, weight: "70.5" },
        { id: 'p2, the "second"', gender: "F", birthdate: "1975-12-31", race: null, weight: null },
        { id: "p3", gender: "", birthdate: "2001-01-01", race: null, weight: null },
        { id: "pä4 ✓", gender: "M", birthdate: "1999-07-04", race: null, weight: "80" },
      ]);
    });

    it(`refuse a declared column that no file's header has (LOAD_HEADER_MISMATCH), leaving the target ${atomic ? "unchanged" : "repaired by a re-run"}`, async (h) => {
      const ctx = await setUp(h);
      const cols = [b.column("row_id", b.INT), b.column("icd9code", b.varchar())];
      const file = await h.writeFile("diagnoses.csv", "ROW_ID,ICD9_CODE\n1,E8791\n");
      const good = await h.writeFile("diagnoses-ok.csv", "ROW_ID,IcD9CoDe\n7,4019\n");
      expect(await h.run(b.loadStep("load_dx", b.ref("source", "dx"), [good], cols, b.CSV, true), ctx)).toBe(1);
      const e = await failure(h.run(b.loadStep("load_dx", b.ref("source", "dx"), [file], cols, b.CSV, true), ctx));
      expect(String(e instanceof Error ? e.message : e)).toMatch(
        /LOAD_HEADER_MISMATCH: the declared column "icd9code" is in no header of .*diagnoses\.csv\. Did you mean "ICD9_CODE"\? The header has: ROW_ID, ICD9_CODE\./,
      );
      if (!atomic) await h.run(b.loadStep("load_dx", b.ref("source", "dx"), [good], cols, b.CSV, true), ctx);
      expect(await h.rows("source", "dx", { columns: ["icd9code"] })).toEqual([{ icd9code: "4019" }]);
    });

    it("read an unquoted tab-separated vocabulary file with yyyymmdd dates", async (h) => {
      const ctx = await setUp(h);
      const tsv =
        "concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\tstandard_concept\tconcept_code\tvalid_start_date\tvalid_end_date\tinvalid_reason\n" +
        "8507\tMALE\tGender\tGender\tGender\tS\tM\t19700101\t20991231\t\n" +
        '4\tSay "hi" \\ back\\slash\tCondition\tSNOMED\tClinical Finding\t\t1234\t20200131\t20991231\tD\n';
      const file = await h.writeFile("CONCEPT.csv", tsv);
      expect(await h.run(b.loadStep("load_concept", b.ref(CONCEPT.schema, CONCEPT.name), [file], CONCEPT.columns, b.ATHENA_TSV), ctx)).toBe(2);
      const rows = await h.rows(CONCEPT.schema, CONCEPT.name, {
        columns: ["concept_id", "concept_name", "standard_concept", "valid_start_date", "invalid_reason"],
        orderBy: [{ column: "concept_id" }],
      });
      const shown = rows.map((r) => ({ ...r, concept_id: num(r["concept_id"]), d: r["valid_start_date"], valid_start_date: undefined }));
      expect(shown).toEqual([
        { concept_id: 4, concept_name: 'Say "hi" \\ back\\slash', standard_concept: null, d: "2020-01-31", invalid_reason: "D" },
        { concept_id: 8507, concept_name: "MALE", standard_concept: "S", d: "1970-01-01", invalid_reason: null },
      ]);
    });

    it("read a headerless file by position, parsing dates and datetimes with the file's formats", async (h) => {
      const cols = [b.column("code", b.varchar(10), true), b.column("day", b.DATE), b.column("at", b.DATETIME), b.column("n", b.BIGINT), b.column("ok", b.BOOL)];
      const ctx = h.context([b.tableDef("source", "headerless", cols)]);
      const file = await h.writeFile("headerless.txt", "a|31/01/2020|20200308 023000|9007199254740993|true\nb|||-1|false\n");
      const format = { ...b.CSV, header: false, delimiter: "|", dateFormat: "%d/%m/%Y", datetimeFormat: "%Y%m%d %H%M%S" };
      expect(await h.run(b.loadStep("headerless", b.ref("source", "headerless"), [file], cols, format), ctx)).toBe(2);
      const rows = await h.rows("source", "headerless", { columns: ["code", "day", "at", "n", "ok"], orderBy: [{ column: "code" }] });
      expect(rows.map((r) => ({ ...r, n: r["n"] === null ? null : String(r["n"]) }))).toEqual([
        { code: "a", day: "2020-01-31", at: "2020-03-08 02:30:00", n: "9007199254740993", ok: true },
        { code: "b", day: null, at: null, n: "-1", ok: false },
      ]);
    });

    it(`re-run to identical contents, and a failing load leaves the target ${atomic ? "unchanged" : "repaired by a re-run"}`, async (h) => {
      const ctx = await setUp(h);
      await loadPatients(h, ctx);
      const first = await h.dump("source", "patients");
      await loadPatients(h, ctx);
      expect(await h.dump("source", "patients")).toBe(first);
      // the first row is fine; the second fails to parse after the DELETE ran: all of it must roll back
      await expectCode(loadPatients(h, ctx, "id,birthdate\nz1,2020-01-01\nz2,not-a-date\n"), "SQL_EXECUTION_FAILED");
      await expectUnchangedOrRepaired(() => h.dump("source", "patients"), first, () => loadPatients(h, ctx));
    });

    if (caps.fileGlobs) {
      it("read every file of a glob, each matched by its own header; a pattern matching nothing fails", async (h) => {
        const ctx = await setUp(h);
        await h.writeFile("part-1.tsv", "id\tgender\nq1\tF\n");
        await h.writeFile("part-2.tsv", "gender\tid\trace\nM\tq2\tasian\n");
        await h.writeFile("other.tsv", "id\nnot-me\n");
        const format = { ...b.CSV, delimiter: "\t", quote: null };
        const step = b.loadStep("load_parts", b.ref("source", "patients"), [`${h.dir}/part-*.tsv`], PATIENTS.columns, format);
        expect(await h.run(step, ctx)).toBe(2);
        expect(sortedBy(await h.rows("source", "patients", { columns: ["id", "gender", "race"] }), "id")).toEqual([
          { id: "q1", gender: "F", race: null },
          { id: "q2", gender: "M", race: "asian" },
        ]);
        const none = b.loadStep("load_none", b.ref("source", "patients"), [`${h.dir}/nothing-*.tsv`], PATIENTS.columns, format);
        await expectCode(h.run(none, ctx), "SQL_EXECUTION_FAILED");
      });
    }
  });
}
