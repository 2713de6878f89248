/**
 * The provider conformance suite: what every provider must do on a real engine, as tests any provider can run in
 * its own test runner. It exercises the provider as omopetl uses it (renderStep/renderDdl, then executeRenderedStep
 * on a Connection) and reads results back with plain SQL.
 */
import { pathToFileURL } from "node:url";
import type { PlanStep, TableDef } from "../../core/model/plan.js";
import type { Connection, Provider, RenderContext } from "../provider-api.js";
import type { ConformanceHarness, HarnessOptions } from "./conformance-harness.js";
import { errorCode, failure, withHarness } from "./conformance-harness.js";
import * as b from "./plan-builders.js";
import {
  loadPatientsStep,
  observationPeriodStep,
  PATIENT_IDS,
  PATIENTS,
  PATIENTS_CSV,
  PATIENTS_FORMAT,
  patientCountStep,
  personStep,
  VISITS,
  visitsStep,
  WEIGHTS,
  weightsStep,
} from "./sample-workload.js";
import { defineSemanticsTests } from "./semantics-suite.js";
import type { ConformanceDescribe, ConformanceExpect, ConformanceIt } from "./test-api.js";

/** What {@link defineConformanceSuite} needs. */
export interface ConformanceSuiteOptions {
  /** The provider under test. */
  provider: Provider;
  /**
   * Opens a connection to a live engine the provider's SQL runs on (each test opens its own and closes it). Usually
   * `() => provider.connect!(target)`; a generate-only provider passes a connection from elsewhere.
   */
  connect: () => Promise<Connection>;
  /** Every table of the CDM version (`cdmTableDefs(spec)`); person, concept and observation_period are also used. */
  tables: readonly TableDef[];
  /** The test runner's functions (vitest's or Jest's). */
  describe: ConformanceDescribe;
  it: ConformanceIt;
  expect: ConformanceExpect;
  /** Title of the suite; default `provider conformance: <name>`. */
  name?: string;
  /** Start of the physical schemas the tests create (and drop); default "omopetl_conf". */
  schemaPrefix?: string;
  /** A folder the database server can read, for load files; default the OS temp folder. */
  fileDir?: string;
  /** Quotes identifiers in the suite's checking queries; default the generator's `ident`, else ANSI double quotes. */
  quoteIdentifier?: (name: string) => string;
  /** The engine enforces primary and foreign keys (false for warehouses whose keys are informational); default true. */
  enforcesKeys?: boolean;
  /** Timeout of each test in milliseconds (passed to `it`). */
  timeout?: number;
}

/** URI schemes the suite tries against `capabilities.fileUriSchemes`; the last one no provider supports. */
const PROBE_SCHEMES = ["s3", "gs", "az", "abfss", "http", "https", "hf", "omopetl-unknown"];

/** `-- ...` comments removed, so checks look at what a statement does. */
const withoutComments = (sql: string): string => sql.replace(/--[^\n]*/g, "");

/** Rows sorted by the UTF-8 byte order of one column (independent of the engine's collation). */
function sortedBy(rows: Record<string, unknown>[], key: string): Record<string, unknown>[] {
  const k = (r: Record<string, unknown>): Buffer => Buffer.from(String(r[key]), "utf8");
  return [...rows].sort((x, y) => Buffer.compare(k(x), k(y)));
}

/** A number from an engine value (counts and decimals may come back as strings). */
const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/**
 * Registers the conformance tests for `options.provider` with the given test runner. Call it at the top level of a
 * test file, e.g.
 *
 * ```ts
 * defineConformanceSuite({ provider, connect: () => provider.connect!(target), tables: cdmTableDefs(spec), describe, it, expect });
 * ```
 *
 * Checks: every DML kind and mode executes; each step run twice leaves identical contents; merge updates a changed
 * row without duplicates; a failing statement mid-step leaves the target (and the id map) unchanged; hostile
 * identifiers and literals cannot break out; the DDL of every CDM table executes, idempotently; identifiers up to
 * the declared limit work and longer ones are refused; capability flags are honoured (what the provider says it
 * lacks raises UNSUPPORTED_FEATURE).
 */
export function defineConformanceSuite(options: ConformanceSuiteOptions): void {
  const { provider, describe, expect } = options;
  const caps = provider.capabilities;
  const enforcesKeys = options.enforcesKeys ?? true;
  const harness: HarnessOptions = {
    provider,
    connect: options.connect,
    schemaPrefix: options.schemaPrefix ?? "omopetl_conf",
    ...(options.fileDir !== undefined ? { fileDir: options.fileDir } : {}),
    ...(options.quoteIdentifier ? { quoteIdentifier: options.quoteIdentifier } : {}),
  };
  const it = (name: string, test: (h: ConformanceHarness) => Promise<void>): void =>
    options.it(name, () => withHarness(harness, test), options.timeout);

  const cdm = (name: string): TableDef => {
    const d = options.tables.find((t) => t.name === name);
    if (!d) throw new Error(`defineConformanceSuite: options.tables has no CDM table "${name}" (pass cdmTableDefs(spec))`);
    return d;
  };
  const PERSON = cdm("person");
  const CONCEPT = cdm("concept");
  const OBSERVATION_PERIOD = cdm("observation_period");
  const BASE_TABLES = [PATIENTS, VISITS, WEIGHTS, PERSON, CONCEPT, OBSERVATION_PERIOD];
  /**
   * A step failing midway leaves nothing behind only with multi-statement transactions. Without them
   * (`capabilities.transactions`), the promise is weaker and still checked: the failure is reported, and re-running
   * the step as it should be repairs the target (steps are idempotent).
   */
  const atomic = (caps.transactions ?? "multi-statement") === "multi-statement";
  /** After a failed step: the target equals `before` (atomic engines), or once `repair` re-ran the good step. */
  const expectUnchangedOrRepaired = async (dump: () => Promise<string>, before: string, repair: () => Promise<unknown>) => {
    if (!atomic) await repair();
    expect(await dump()).toBe(before);
  };
  /** person is written by merge where the provider has it, else by replace (the rest of the suite still runs). */
  const personMode = caps.merge ? "merge" : "replace";

  /** The base context, with the CDM tables used by the suite created. */
  const setUp = async (h: ConformanceHarness) => {
    const ctx = h.context(BASE_TABLES);
    await h.ddl(provider.generator.renderDdl([PERSON, CONCEPT, OBSERVATION_PERIOD], "tables", ctx));
    return ctx;
  };
  const loadPatients = async (h: ConformanceHarness, ctx: RenderContext, csv = PATIENTS_CSV): Promise<number | undefined> =>
    h.run(loadPatientsStep(await h.writeFile("patients.csv", csv)), ctx);
  const expectCode = async (p: Promise<unknown> | (() => unknown), code: string): Promise<unknown> => {
    const e = await failure(p);
    expect(errorCode(e), e instanceof Error ? e.message : String(e)).toBe(code);
    return e;
  };

  describe(options.name ?? `provider conformance: ${provider.name}`, () => {
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

      it("rebuild recreates the table with its primary key, and re-runs to identical contents", async (h) => {
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
          // person 1's period again: the key refuses it
          const [again] = await h.rows("cdm", "observation_period", { where: { person_id: 1 } });
          await failure(h.insert("cdm", "observation_period", Object.keys(again!), [Object.values(again!) as (string | number | null)[]]));
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

    describe("safety", () => {
      it("quotes hostile identifiers and escapes hostile strings so nothing breaks out", async (h) => {
        const hostileSchema = `${h.schemas["source"]}_we"ird; --ü`;
        const table = `ta"ble; DROP TABLE canary; --`;
        const colName = `co"l$omopetl$'); DROP TABLE canary; -- ✓`;
        await h.createSchema("staging");
        await h.createTable("staging", "canary", [{ name: "x", type: "INTEGER" }]);
        const def = b.tableDef("odd", table, [b.column(colName, b.varchar()), b.column("n", b.INT)]);
        const out = b.tableDef("odd", `${table}_out`, [b.column(colName, b.varchar()), b.column("n", b.INT)]);
        const ctx = h.context([def, out], { odd: hostileSchema });
        const values = [`'); DROP TABLE canary; --`, `back\\slash\\'quote`, `new\nline`, "ünï©ødé ✓ 𝄞", `"dq"`, "$omopetl$ dollar", "$$ $1 %s ? :x"];
        const csv = `"${colName.replace(/"/g, '""')}",n\n${values.map((v, i) => `"${v.replace(/"/g, '""')}",${i}`).join("\n")}\n`;
        const file = await h.writeFile("hostile.csv", csv);
        expect(await h.run(b.loadStep("load_hostile", b.ref("odd", table), [file], def.columns), ctx)).toBe(values.length);
        const alias = `a"l --`;
        const suffix = `'; DROP TABLE canary; -- \\ ü`;
        const sel = b.select(
          { table: b.ref("odd", table), alias },
          { [colName]: b.bin("||", b.col(alias, colName), b.lit(suffix)), n: b.col(alias, "n", "integer") },
          { where: b.bin("<>", b.col(alias, colName), b.lit(`it's -- not; "this"`)) },
        );
        const mode = caps.merge ? "merge" : "replace";
        const step = b.transformStep("hostile", b.ref("odd", `${table}_out`), mode, out.columns, [sel], { key: ["n"] });
        await h.run(step, ctx);
        await h.run(step, ctx);
        const rows = await h.rows("odd", `${table}_out`, { orderBy: [{ column: "n" }] }, ctx.schemas);
        expect(rows.map((r) => r[colName])).toEqual(values.map((v) => `${v}${suffix}`));
        // nothing was dropped: the canary and the hostile source table are still there
        expect(await h.count("staging", "canary")).toBe(0);
        expect(await h.count("odd", table, ctx.schemas)).toBe(values.length);
      });

      it(`accepts identifiers of up to ${caps.maxIdentifierLength} bytes, keeping them distinct, and refuses longer ones`, async (h) => {
        const max = caps.maxIdentifierLength;
        const name = (last: string): string => `${"t".repeat(max - 1)}${last}`;
        const target = (n: string) => b.tableDef("staging", n, [b.column("id", b.varchar())]);
        const ctx = await setUp(h);
        await loadPatients(h, ctx);
        const copy = (n: string, where?: ReturnType<typeof b.eq>) =>
          b.transformStep(`copy_${n.slice(-1)}`, b.ref("staging", n), "replace", target(n).columns, [
            b.select({ table: b.ref("source", "patients"), alias: "p" }, { id: b.col("p", "id") }, where ? { where } : {}),
          ]);
        const lctx = h.context([...ctx.tables, target(name("a")), target(name("b"))]);
        expect(await h.run(copy(name("a")), lctx)).toBe(4);
        expect(await h.run(copy(name("b"), b.eq(b.col("p", "id"), b.lit("p1"))), lctx)).toBe(1);
        // had the engine shortened the names, both steps would have written one table
        expect(await h.count("staging", name("a"))).toBe(4);
        expect(await h.count("staging", name("b"))).toBe(1);
        const tooLong = `${name("a")}x`;
        await expectCode(() => provider.generator.renderStep(copy(tooLong), h.context([...ctx.tables, target(tooLong)])), "INVALID_IDENTIFIER");
      });
    });

    describe("semantics (docs/semantics.md): each case's value computed on the engine", () => {
      defineSemanticsTests(it, expect);
    });

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
  });
}
