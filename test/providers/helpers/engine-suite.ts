/**
 * Engine-backed behaviour every built-in provider must show, run against a real engine: loads, the three transform
 * modes, idempotence (a second run leaves identical contents), merge updates, atomic failure, sql and ddl steps,
 * the full CDM 5.4 DDL, and hostile names and values.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlanStep, TableDef } from "../../../src/core/model/plan.js";
import { executeRenderedStep, SqlExecutionError } from "../../../src/providers/provider-api.js";
import type { RenderContext } from "../../../src/providers/provider-api.js";
import * as b from "./plan-builders.js";
import { cdm54TableDefs } from "./cdm-tables.js";
import type { Engine, EngineName } from "./engines.js";
import { dump, openEngine, readableTempDir, removeDir, runStep, writeReadable } from "./engines.js";

const CDM = cdm54TableDefs();
const cdmDef = (name: string): TableDef => {
  const d = CDM.find((t) => t.name === name);
  if (!d) throw new Error(`no CDM table ${name}`);
  return d;
};

const PATIENTS = b.tableDef("source", "patients", [
  b.column("id", b.varchar()),
  b.column("gender", b.varchar()),
  b.column("birthdate", b.DATE),
  b.column("race", b.varchar()),
  b.column("weight", b.FLOAT),
]);
const VISITS = b.tableDef("staging", "visits", [
  b.column("visit_key", b.varchar(), true),
  b.column("kind", b.varchar(10), true),
  b.column("patient", b.varchar()),
  b.column("n", b.INT),
]);

/** The patients CSV: header in another order and case, an extra column, `race` missing, quoting corner cases. */
const PATIENTS_CSV =
  'ID,Extra,Birthdate,GENDER,weight\n' +
  'p1,x,1980-02-29,M,70.5\n' +
  '"p2, the ""second""",y,1975-12-31,F,\n' +
  'p3,"multi\nline",2001-01-01,"",NA\n' +
  'pä4 ✓,z,1999-07-04,M,80\n';

export function defineEngineSuite(engineName: EngineName): void {
  describe(`${engineName} engine`, () => {
    let engine: Engine;
    let dir: string;
    let ctx: RenderContext;
    const q = (sql: string): Promise<Record<string, unknown>[]> => engine.conn.query(sql);
    const tbl = (schema: string, name: string): string => `"${engine.schemas[schema]}"."${name}"`;

    beforeAll(async () => {
      engine = await openEngine(engineName, "eng");
      dir = await readableTempDir();
      ctx = b.context([PATIENTS, VISITS, cdmDef("person"), cdmDef("concept"), cdmDef("observation_period")], engine.schemas);
      const ddl = engine.provider.generator.renderDdl([cdmDef("person"), cdmDef("concept"), cdmDef("observation_period")], "tables", ctx);
      await executeRenderedStep(engine.conn, "ddl", { statements: ddl, transactional: true });
    });

    afterAll(async () => {
      await engine?.dispose();
      if (dir) await removeDir(dir);
    });

    const loadPatients = async (csv = PATIENTS_CSV, format = { ...b.CSV, nullValues: ["NA"] }): Promise<number | undefined> => {
      const file = await writeReadable(dir, "patients.csv", csv);
      return runStep(engine, b.loadStep("load_patients", b.ref("source", "patients"), [file], PATIENTS.columns, format), ctx);
    };

    it("loads a quoted CSV, matching header names case-insensitively; absent columns are NULL", async () => {
      expect(await loadPatients()).toBe(4);
      const rows = await q(`SELECT id, gender, CAST(birthdate AS VARCHAR) AS birthdate, race, CAST(weight AS VARCHAR) AS weight FROM ${tbl("source", "patients")} ORDER BY id`);
      const weight = (v: unknown): string | null => (v === null ? null : String(Number(v)));
      expect(rows.map((r) => ({ ...r, weight: weight(r["weight"]) }))).toEqual([
        { id: "p1", gender: "M", birthdate: "1980-02-29", race: null, weight: "70.5" },
        { id: 'p2, the "second"', gender: "F", birthdate: "1975-12-31", race: null, weight: null },
        // a quoted empty field is an empty string; NA is a null value of this format
        { id: "p3", gender: "", birthdate: "2001-01-01", race: null, weight: null },
        { id: "pä4 ✓", gender: "M", birthdate: "1999-07-04", race: null, weight: "80" },
      ]);
    });

    it("loads an unquoted tab-separated vocabulary file with yyyymmdd dates", async () => {
      const tsv =
        "concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\tstandard_concept\tconcept_code\tvalid_start_date\tvalid_end_date\tinvalid_reason\n" +
        '8507\tMALE\tGender\tGender\tGender\tS\tM\t19700101\t20991231\t\n' +
        '4\tSay "hi" \\ back\\slash\tCondition\tSNOMED\tClinical Finding\t\t1234\t20200131\t20991231\tD\n';
      const file = await writeReadable(dir, "CONCEPT.csv", tsv);
      const step = b.loadStep("load_concept", b.ref("vocab", "concept"), [file], cdmDef("concept").columns, b.ATHENA_TSV);
      expect(await runStep(engine, step, ctx)).toBe(2);
      const rows = await q(
        `SELECT concept_id, concept_name, standard_concept, CAST(valid_start_date AS VARCHAR) AS d, invalid_reason FROM ${tbl("vocab", "concept")} ORDER BY concept_id`,
      );
      expect(rows).toEqual([
        { concept_id: 4, concept_name: 'Say "hi" \\ back\\slash', standard_concept: null, d: "2020-01-31", invalid_reason: "D" },
        { concept_id: 8507, concept_name: "MALE", standard_concept: "S", d: "1970-01-01", invalid_reason: null },
      ]);
    });

    it("re-running a load leaves identical contents", async () => {
      await loadPatients();
      const first = await dump(engine.conn, tbl("source", "patients"));
      await loadPatients();
      expect(await dump(engine.conn, tbl("source", "patients"))).toBe(first);
    });

    it("loads every file of a glob, each matched by its own header", async () => {
      await writeReadable(dir, "part-1.tsv", "id\tgender\nq1\tF\n");
      await writeReadable(dir, "part-2.tsv", "gender\tid\trace\nM\tq2\tasian\n");
      await writeReadable(dir, "other.tsv", "id\nnot-me\n");
      const format = { ...b.CSV, delimiter: "\t", quote: null };
      const step = b.loadStep("load_parts", b.ref("source", "patients"), [`${dir}/part-*.tsv`], PATIENTS.columns, format);
      expect(await runStep(engine, step, ctx)).toBe(2);
      expect(await q(`SELECT id, gender, race FROM ${tbl("source", "patients")} ORDER BY id`)).toEqual([
        { id: "q1", gender: "F", race: null },
        { id: "q2", gender: "M", race: "asian" },
      ]);
      const none = b.loadStep("load_none", b.ref("source", "patients"), [`${dir}/nothing-*.tsv`], PATIENTS.columns, format);
      await expect(runStep(engine, none, ctx)).rejects.toThrow(/No files found/);
    });

    it("loads a headerless file by position, parsing dates and datetimes with the file's formats", async () => {
      const cols = [b.column("code", b.varchar(10), true), b.column("day", b.DATE), b.column("at", b.DATETIME), b.column("n", b.BIGINT), b.column("ok", b.BOOL)];
      const events = b.tableDef("source", "headerless", cols);
      const file = await writeReadable(dir, "headerless.txt", "a|31/01/2020|20200308 023000|9007199254740993|true\nb|||-1|false\n");
      const format = { ...b.CSV, header: false, delimiter: "|", dateFormat: "%d/%m/%Y", datetimeFormat: "%Y%m%d %H%M%S" };
      const hctx = b.context([...ctx.tables, events], engine.schemas);
      expect(await runStep(engine, b.loadStep("headerless", b.ref("source", "headerless"), [file], cols, format), hctx)).toBe(2);
      expect(
        await q(`SELECT code, CAST(day AS VARCHAR) AS day, CAST("at" AS VARCHAR) AS "at", CAST(n AS VARCHAR) AS n, ok FROM ${tbl("source", "headerless")} ORDER BY code`),
      ).toEqual([
        { code: "a", day: "2020-01-31", at: "2020-03-08 02:30:00", n: "9007199254740993", ok: true },
        { code: "b", day: null, at: null, n: "-1", ok: false },
      ]);
    });

    it("a failing load leaves the target unchanged", async () => {
      await loadPatients();
      const before = await dump(engine.conn, tbl("source", "patients"));
      await expect(loadPatients("id,birthdate\nz1,2020-01-01\nz2,not-a-date\n")).rejects.toBeInstanceOf(SqlExecutionError);
      expect(await dump(engine.conn, tbl("source", "patients"))).toBe(before);
    });

    const personStep = (): PlanStep => {
      const id = b.idFor("person_id", "person", b.col("p", "id"));
      const gender = b.caseWhen(
        [
          { when: b.lit("M"), then: b.lit(8507) },
          { when: b.lit("F"), then: b.lit(8532) },
        ],
        b.lit(0),
        "integer",
        b.col("p", "gender"),
      );
      const sel = b.select(
        { table: b.ref("source", "patients"), alias: "p" },
        {
          person_id: id.value,
          gender_concept_id: gender,
          year_of_birth: b.fn("date_part", [b.lit("year"), b.col("p", "birthdate", "date")], "integer"),
          month_of_birth: b.fn("date_part", [b.lit("month"), b.col("p", "birthdate", "date")], "integer"),
          birth_datetime: b.cast(b.col("p", "birthdate", "date"), b.DATETIME),
          race_concept_id: b.lit(0),
          ethnicity_concept_id: b.lit(0),
          person_source_value: b.col("p", "id"),
          gender_source_value: b.col("p", "gender"),
        },
        { joins: [id.join], ids: [id.id], where: b.isNull(b.col("p", "birthdate", "date"), true) },
      );
      return b.transformStep("person", b.ref("cdm", "person"), "merge", cdmDef("person").columns, [sel], { key: ["person_id"] });
    };

    it("merge assigns ids, re-runs to identical contents, and updates a changed row without duplicates", async () => {
      await loadPatients();
      const person = tbl("cdm", "person");
      const idMap = tbl("staging", "omopetl_id_map");
      expect(await runStep(engine, personStep(), ctx)).toBe(4);
      const first = await dump(engine.conn, person);
      const firstIds = await dump(engine.conn, idMap);
      // ids follow the byte order of the keys
      expect(await q(`SELECT person_id, person_source_value FROM ${person} ORDER BY person_id`)).toEqual([
        { person_id: 1, person_source_value: "p1" },
        { person_id: 2, person_source_value: 'p2, the "second"' },
        { person_id: 3, person_source_value: "p3" },
        { person_id: 4, person_source_value: "pä4 ✓" },
      ]);

      expect(await runStep(engine, personStep(), ctx)).toBe(0);
      expect(await dump(engine.conn, person)).toBe(first);
      expect(await dump(engine.conn, idMap)).toBe(firstIds);

      await engine.conn.execute(`UPDATE ${tbl("source", "patients")} SET gender = 'F' WHERE id = 'p1'`);
      await engine.conn.execute(`INSERT INTO ${tbl("source", "patients")} (id, gender, birthdate) VALUES ('p0', 'M', DATE '2010-10-10')`);
      expect(await runStep(engine, personStep(), ctx)).toBe(2);
      expect(await q(`SELECT person_id, gender_concept_id, person_source_value FROM ${person} ORDER BY person_id`)).toEqual([
        { person_id: 1, gender_concept_id: 8532, person_source_value: "p1" },
        { person_id: 2, gender_concept_id: 8532, person_source_value: 'p2, the "second"' },
        { person_id: 3, gender_concept_id: 0, person_source_value: "p3" },
        { person_id: 4, gender_concept_id: 8507, person_source_value: "pä4 ✓" },
        // a new key gets the next id, existing ids never move
        { person_id: 5, gender_concept_id: 8507, person_source_value: "p0" },
      ]);
    });

    it("merges float values without rewriting them on a re-run", async () => {
      await loadPatients();
      const weights = b.tableDef("staging", "weights", [b.column("id", b.varchar(), true), b.column("weight", b.FLOAT), b.column("half", b.FLOAT)], { primaryKey: ["id"] });
      const wctx = b.context([...ctx.tables, weights], engine.schemas);
      const w = b.col("p", "weight", "float");
      const sel = b.select({ table: b.ref("source", "patients"), alias: "p" }, { id: b.col("p", "id"), weight: w, half: b.bin("/", w, b.lit(3), "float") });
      const step = b.transformStep("weights", b.ref("staging", "weights"), "merge", weights.columns, [sel], { key: ["id"] });
      expect(await runStep(engine, step, wctx)).toBe(4);
      const first = await dump(engine.conn, tbl("staging", "weights"));
      expect(await runStep(engine, step, wctx)).toBe(0);
      expect(await dump(engine.conn, tbl("staging", "weights"))).toBe(first);
      // the declared key of a non-CDM table is created with it
      await expect(engine.conn.execute(`INSERT INTO ${tbl("staging", "weights")} (id) VALUES ('p1')`)).rejects.toThrow(/(duplicate|PRIMARY KEY|unique)/i);
    });

    const visitsStep = (kind: string, tag: string): PlanStep => {
      const sel = b.select(
        { table: b.ref("source", "patients"), alias: "p" },
        {
          visit_key: b.bin("||", b.lit(`${kind}:`), b.col("p", "id")),
          kind: b.lit(kind),
          patient: b.col("p", "id"),
          n: b.bin("+", b.fn("length", [b.col("p", "id")], "integer"), b.lit(tag.length)),
        },
      );
      return b.transformStep(`visits_${kind}`, b.ref("staging", "visits"), "replace", VISITS.columns, [sel], {
        slice: b.eq(b.col("t", "kind"), b.lit(kind)),
      });
    };

    it("replace creates its staging target, owns only its slice, and re-runs to identical contents", async () => {
      await loadPatients();
      expect(await runStep(engine, visitsStep("A", ""), ctx)).toBe(4);
      expect(await runStep(engine, visitsStep("B", "xx"), ctx)).toBe(4);
      const visits = tbl("staging", "visits");
      const first = await dump(engine.conn, visits);
      await runStep(engine, visitsStep("B", "xx"), ctx);
      expect(await dump(engine.conn, visits)).toBe(first);
      // re-running B with other values changes B's rows only
      await runStep(engine, visitsStep("B", "xxx"), ctx);
      const rows = await q(`SELECT kind, sum(n) AS total, count(*) AS c FROM ${visits} GROUP BY kind ORDER BY kind`);
      const ids = ["p1", 'p2, the "second"', "p3", "pä4 ✓"];
      const chars = ids.reduce((n, id) => n + [...id].length, 0);
      expect(rows.map((r) => [r["kind"], Number(r["total"]), Number(r["c"])])).toEqual([
        ["A", chars, 4],
        ["B", chars + 4 * 3, 4],
      ]);
    });

    const observationPeriodStep = (): PlanStep => {
      const id = b.idFor("observation_period_id", "observation_period", b.col("p", "id"));
      const person = b.idFor("person_id", "person", b.col("p", "id"), false);
      const sel = b.select(
        { table: b.ref("source", "patients"), alias: "p" },
        {
          observation_period_id: id.value,
          person_id: person.value,
          observation_period_start_date: b.col("p", "birthdate", "date"),
          observation_period_end_date: b.fn("date_add", [b.col("p", "birthdate", "date"), b.lit(1), b.lit("year")], "date"),
          period_type_concept_id: b.lit(32817),
        },
        { joins: [id.join, person.join], ids: [id.id, person.id], where: b.isNull(person.value, true) },
      );
      return b.transformStep("observation_period", b.ref("cdm", "observation_period"), "rebuild", cdmDef("observation_period").columns, [sel], {
        key: ["observation_period_id"],
      });
    };

    it("rebuild recreates the table with its key and indexes, and re-runs to identical contents", async () => {
      await loadPatients();
      await runStep(engine, personStep(), ctx);
      expect(await runStep(engine, observationPeriodStep(), ctx)).toBe(4);
      const op = tbl("cdm", "observation_period");
      const first = await dump(engine.conn, op);
      expect(await runStep(engine, observationPeriodStep(), ctx)).toBe(4);
      expect(await dump(engine.conn, op)).toBe(first);
      const dates = await q(`SELECT CAST(observation_period_end_date AS VARCHAR) AS d FROM ${op} ORDER BY 1`);
      expect(dates.map((r) => r["d"])).toContain("1981-02-28");
      const schema = engine.schemas["cdm"]!;
      const indexes =
        engine.name === "duckdb"
          ? await q(`SELECT index_name FROM duckdb_indexes() WHERE schema_name = '${schema}' AND table_name = 'observation_period'`)
          : await q(`SELECT indexname AS index_name FROM pg_indexes WHERE schemaname = '${schema}' AND tablename = 'observation_period' AND indexname LIKE 'idx%'`);
      expect(indexes.map((r) => r["index_name"])).toEqual(["idx_observation_period_person_id"]);
      // the primary key survives the rebuild
      await expect(
        engine.conn.execute(`INSERT INTO ${op} SELECT * FROM ${op} LIMIT 1`),
      ).rejects.toThrow(/(duplicate|PRIMARY KEY|unique)/i);
    });

    it("a failing statement in the middle of a step leaves the target unchanged", async () => {
      await loadPatients();
      await runStep(engine, visitsStep("A", ""), ctx);
      const visits = tbl("staging", "visits");
      const before = await dump(engine.conn, visits);
      // kind is NOT NULL: the DELETE runs, then the INSERT fails; the DELETE must roll back with it
      const bad = visitsStep("A", "");
      if (bad.body.kind !== "transform") throw new Error("unreachable");
      bad.body.selects[0]!.columns[1]!.expr = b.lit(null);
      const err = await runStep(engine, bad, ctx).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SqlExecutionError);
      const rendered = engine.provider.generator.renderStep(bad, ctx);
      expect((err as SqlExecutionError).statementIndex).toBe(rendered.resultStatement);
      expect((err as SqlExecutionError).stepName).toBe("visits_A");
      expect(await dump(engine.conn, visits)).toBe(before);
    });

    it("runs sql steps with ${schemas.x} placeholders, picking the dialect's variant", async () => {
      await loadPatients();
      const step = b.step("count_patients", {
        kind: "sql",
        statements: {
          default: ["CREATE TABLE ${schemas.staging}.wrong AS SELECT 1 AS x"],
          [engine.provider.dialect]: [
            "CREATE TABLE IF NOT EXISTS ${schemas.staging}.patient_count (n BIGINT)",
            "DELETE FROM ${ schemas.staging }.patient_count",
            "INSERT INTO ${schemas.staging}.patient_count SELECT count(*) FROM ${schemas.source}.patients",
          ],
        },
        transactional: true,
      });
      await runStep(engine, step, ctx);
      await runStep(engine, step, ctx);
      expect((await q(`SELECT n FROM ${tbl("staging", "patient_count")}`)).map((r) => Number(r["n"]))).toEqual([4]);
    });

    it("creates every CDM 5.4 table, its keys and indexes, idempotently", async () => {
      const schemas = { cdm: `${engine.schemas["cdm"]}_all`, vocab: `${engine.schemas["vocab"]}_all`, staging: engine.schemas["staging"]! };
      const all = b.context(CDM, schemas);
      try {
        for (let round = 0; round < 2; round++) {
          for (const part of ["tables", "constraints", "indexes"] as const) {
            await executeRenderedStep(engine.conn, `ddl_${part}`, { statements: engine.provider.generator.renderDdl(CDM, part, all), transactional: true });
          }
        }
        const count =
          engine.name === "duckdb"
            ? await q(`SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name IN ('${schemas.cdm}', '${schemas.vocab}')`)
            : await q(`SELECT count(*) AS n FROM pg_tables WHERE schemaname IN ('${schemas.cdm}', '${schemas.vocab}')`);
        expect(Number(count[0]!["n"])).toBe(CDM.length);
        if (engine.name === "postgres") {
          const fks = await q(
            `SELECT count(*) AS n FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname IN ('${schemas.cdm}', '${schemas.vocab}') AND c.contype = 'f'`,
          );
          expect(Number(fks[0]!["n"])).toBeGreaterThan(100);
        }
        const pk = engine.name === "duckdb"
          ? await q(`SELECT count(*) AS n FROM duckdb_constraints() WHERE schema_name = '${schemas.cdm}' AND table_name = 'person' AND constraint_type = 'PRIMARY KEY'`)
          : await q(`SELECT count(*) AS n FROM pg_constraint WHERE conrelid = '"${schemas.cdm}".person'::regclass AND contype = 'p'`);
        expect(Number(pk[0]!["n"])).toBe(1);
      } finally {
        await engine.conn.execute(`DROP SCHEMA IF EXISTS "${schemas.cdm}" CASCADE`);
        await engine.conn.execute(`DROP SCHEMA IF EXISTS "${schemas.vocab}" CASCADE`);
      }
    });

    it("quotes hostile identifiers and escapes hostile strings so nothing breaks out", async () => {
      const hostileSchema = `${engine.schemas["source"]}_we"ird; --ü`;
      const table = `ta"ble; DROP TABLE canary; --`;
      const colName = `co"l$omopetl$'); DROP TABLE canary; -- ✓`;
      const canary = tbl("staging", "canary");
      await engine.conn.execute(`CREATE SCHEMA IF NOT EXISTS "${engine.schemas["staging"]}"`);
      await engine.conn.execute(`CREATE TABLE IF NOT EXISTS ${canary} (x INTEGER)`);
      const def = b.tableDef("odd", table, [b.column(colName, b.varchar()), b.column("n", b.INT)]);
      const out = b.tableDef("odd", `${table}_out`, [b.column(colName, b.varchar()), b.column("n", b.INT)]);
      const hctx = b.context([def, out], { ...engine.schemas, odd: hostileSchema });
      const values = [`'); DROP TABLE canary; --`, `back\\slash\\'quote`, `new\nline`, "ünï©ødé ✓ 𝄞", `"dq"`, "$omopetl$ dollar"];
      const csv = `${colName.replace(/"/g, '""').replace(/^/, '"')}",n\n${values.map((v, i) => `"${v.replace(/"/g, '""')}",${i}`).join("\n")}\n`;
      const file = await writeReadable(dir, "hostile.csv", csv);
      await runStep(engine, b.loadStep("load_hostile", b.ref("odd", table), [file], def.columns), hctx);
      const sel = b.select(
        { table: b.ref("odd", table), alias: `a"l --` },
        {
          [colName]: b.bin("||", b.col(`a"l --`, colName), b.lit(`'; DROP TABLE canary; -- \\ ü`)),
          n: b.col(`a"l --`, "n", "integer"),
        },
        { where: b.bin("<>", b.col(`a"l --`, colName), b.lit(`it's -- not; "this"`)) },
      );
      const step = b.transformStep("hostile", b.ref("odd", `${table}_out`), "merge", out.columns, [sel], { key: ["n"] });
      await runStep(engine, step, hctx);
      await runStep(engine, step, hctx);
      const g = engine.provider.generator as unknown as { table(r: { schema: string; name: string }, c: RenderContext): string };
      const rows = await q(`SELECT * FROM ${g.table(b.ref("odd", `${table}_out`), hctx)} ORDER BY n`);
      expect(rows.map((r) => r[colName])).toEqual(values.map((v) => `${v}'; DROP TABLE canary; -- \\ ü`));
      expect(await q(`SELECT count(*) AS n FROM ${canary}`)).toHaveLength(1);
      await engine.conn.execute(`DROP SCHEMA IF EXISTS ${g.table(b.ref("odd", "x"), hctx).replace(/\.x$/, "")} CASCADE`);
    });
  });
}
