/**
 * What only the built-in providers promise beyond the conformance suite (src/providers/conformance, run against
 * both built-ins by conformance-builtins.test.ts): checks that read each engine's own catalogue (index and
 * constraint names, foreign keys) and the engines' own error messages.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TableDef } from "../../../src/core/model/plan.js";
import { executeRenderedStep } from "../../../src/providers/provider-api.js";
import type { RenderContext } from "../../../src/providers/provider-api.js";
import { loadPatientsStep, observationPeriodStep, PATIENTS, PATIENTS_CSV, personStep } from "../../../src/providers/conformance/sample-workload.js";
import * as b from "./plan-builders.js";
import { cdm54TableDefs } from "./cdm-tables.js";
import type { Engine, EngineName } from "./engines.js";
import { openEngine, readableTempDir, removeDir, runStep, writeReadable } from "./engines.js";

const CDM = cdm54TableDefs();
const cdmDef = (name: string): TableDef => {
  const d = CDM.find((t) => t.name === name);
  if (!d) throw new Error(`no CDM table ${name}`);
  return d;
};

export function defineEngineSuite(engineName: EngineName): void {
  describe(`${engineName} engine: catalogue and messages`, () => {
    let engine: Engine;
    let dir: string;
    let ctx: RenderContext;
    const q = (sql: string): Promise<Record<string, unknown>[]> => engine.conn.query(sql);

    beforeAll(async () => {
      engine = await openEngine(engineName, "eng");
      dir = await readableTempDir();
      ctx = b.context([PATIENTS, cdmDef("person"), cdmDef("observation_period")], engine.schemas);
      const ddl = engine.provider.generator.renderDdl([cdmDef("person"), cdmDef("observation_period")], "tables", ctx);
      await executeRenderedStep(engine.conn, "ddl", { statements: ddl, transactional: true });
      await runStep(engine, loadPatientsStep(await writeReadable(dir, "patients.csv", PATIENTS_CSV)), ctx);
    });

    afterAll(async () => {
      await engine?.dispose();
      if (dir) await removeDir(dir);
    });

    it("says which pattern matched no file", async () => {
      const none = b.loadStep("load_none", b.ref("source", "patients"), [`${dir}/nothing-*.tsv`], PATIENTS.columns, { ...b.CSV, delimiter: "\t", quote: null });
      await expect(runStep(engine, none, ctx)).rejects.toThrow(/No files found/);
    });

    it("rebuild creates the table's indexes under their standard names", async () => {
      await runStep(engine, personStep(cdmDef("person")), ctx);
      expect(await runStep(engine, observationPeriodStep(cdmDef("observation_period")), ctx)).toBe(4);
      const schema = engine.schemas["cdm"]!;
      const indexes =
        engine.name === "duckdb"
          ? await q(`SELECT index_name FROM duckdb_indexes() WHERE schema_name = '${schema}' AND table_name = 'observation_period'`)
          : await q(`SELECT indexname AS index_name FROM pg_indexes WHERE schemaname = '${schema}' AND tablename = 'observation_period' AND indexname LIKE 'idx%'`);
      expect(indexes.map((r) => r["index_name"])).toEqual(["idx_observation_period_person_id"]);
    });

    it("the CDM DDL declares primary keys (on DuckDB as unique indexes; on Postgres with foreign keys) in the catalogue", async () => {
      const schemas = { cdm: `${engine.schemas["cdm"]}_all`, vocab: `${engine.schemas["vocab"]}_all`, staging: engine.schemas["staging"]! };
      const all = b.context(CDM, schemas);
      try {
        for (const part of ["tables", "constraints", "indexes"] as const) {
          await executeRenderedStep(engine.conn, `ddl_${part}`, { statements: engine.provider.generator.renderDdl(CDM, part, all), transactional: true });
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
        const pk =
          engine.name === "duckdb"
            ? await q(`SELECT count(*) AS n FROM duckdb_indexes() WHERE schema_name = '${schemas.cdm}' AND table_name = 'person' AND is_unique AND index_name = 'xpk_person'`)
            : await q(`SELECT count(*) AS n FROM pg_constraint WHERE conrelid = '"${schemas.cdm}".person'::regclass AND contype = 'p'`);
        expect(Number(pk[0]!["n"])).toBe(1);
      } finally {
        await engine.conn.execute(`DROP SCHEMA IF EXISTS "${schemas.cdm}" CASCADE`);
        await engine.conn.execute(`DROP SCHEMA IF EXISTS "${schemas.vocab}" CASCADE`);
      }
    });
  });
}
